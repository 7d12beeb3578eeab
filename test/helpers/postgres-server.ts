import { execFile } from "node:child_process";
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";

const run = promisify(execFile);

/** Where Debian puts PostgreSQL 15's server programs (`/usr/local/bin` links to some of them). */
const postgresBin = "/usr/lib/postgresql/15/bin";

/**
 * A PostgreSQL server of a test's own on 127.0.0.1, with trust authentication for the user
 * `postgres`, that the test can stop, kill and start again for real (same port, same data).
 */
export interface PostgresServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>`; database `postgres` unless named. */
  url(database?: string): string;
  /** Whether the server was started (and not stopped or killed) through this handle. */
  running(): boolean;
  /** Starts the server again on the same port and data directory, after {@link stop} or {@link kill}. */
  start(): Promise<void>;
  /** Stops the server as an operator would (`pg_ctl stop -m fast`: connections are ended, the data is saved). */
  stop(): Promise<void>;
  /** Stops the server at once (`pg_ctl stop -m immediate`: no checkpoint, recovery on the next start), as a crash would. */
  kill(): Promise<void>;
  /** {@link stop} then {@link start}: a real restart, every connection to it ended. */
  restart(): Promise<void>;
  /** The server's log so far, for a failing test's message. */
  log(): Promise<string>;
  /** Stops the server (at once) and removes its files. */
  remove(): Promise<void>;
}

/** Options of {@link startPostgresServer}. */
export interface PostgresServerOptions {
  /** More `-c name=value` settings for the server. */
  settings?: Readonly<Record<string, string>>;
}

// Settings for tests: nothing waits for the disk, and there is no unix socket to clash with the
// machine's server. Commits stay synchronous: with fsync off a commit is still written to the
// operating system before it is acknowledged, so a killed server (not a crashed machine) keeps it.
const testSettings: Readonly<Record<string, string>> = {
  listen_addresses: "127.0.0.1",
  unix_socket_directories: "",
  fsync: "off",
  full_page_writes: "off",
  shared_buffers: "32MB",
  max_connections: "100",
  log_min_messages: "warning",
};

/**
 * Creates a database cluster in a temporary directory (`initdb`, trust authentication) and starts
 * a server on a free port of 127.0.0.1 (`pg_ctl start`, waiting until it accepts connections).
 * The programs run as the `postgres` user when the test runs as root (they refuse root). Call
 * {@link PostgresServer.remove} after the test.
 *
 * @example
 * const postgres = await startPostgresServer();
 * const client = new pg.Client({ connectionString: postgres.url() });
 * await postgres.restart();
 * await postgres.remove();
 */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const directory = await mkdtemp(join(tmpdir(), "postgres-"));
  const dataDirectory = join(directory, "data");
  const logFile = join(directory, "server.log");
  let port = 0;
  let started = false;
  try {
    await ownByPostgres(directory);
    await asPostgres(join(postgresBin, "initdb"), ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }

  const settings = { ...testSettings, ...options.settings };
  const serverOptions = () => [`-p ${port}`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${quoteSetting(value)}`)].join(" ");
  const pgCtl = (args: readonly string[]) => asPostgres(join(postgresBin, "pg_ctl"), ["-D", dataDirectory, ...args]);
  const start = async () => {
    // `-w` waits until the server accepts connections; `-t` bounds that wait.
    await pgCtl(["-l", logFile, "-o", serverOptions(), "-w", "-t", "30", "start"]);
    started = true;
  };
  const stopWith = async (mode: "fast" | "immediate") => {
    await pgCtl(["-m", mode, "-w", "-t", "30", "stop"]);
    started = false;
  };

  // A port that was free a moment ago can be taken before the server binds it: try another, a few times.
  for (let attempt = 1; !started; attempt++) {
    port = await freePort();
    try {
      await start();
    } catch (error) {
      if (attempt >= 5) {
        await rm(directory, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const server: PostgresServer = {
    host: "127.0.0.1",
    port,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    running: () => started,
    async start() {
      if (started) {
        throw new Error("the PostgreSQL server is running already");
      }
      await start();
    },
    stop: () => stopWith("fast"),
    kill: () => stopWith("immediate"),
    async restart() {
      await stopWith("fast");
      await start();
    },
    async log() {
      return readFile(logFile, "utf8").catch(() => "");
    },
    async remove() {
      if (started) {
        await stopWith("immediate").catch(() => undefined);
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
  return server;
}

// Runs a PostgreSQL program, as the postgres user when this process is root; rejects with its output when it fails.
async function asPostgres(program: string, args: readonly string[]): Promise<void> {
  const [command, commandArgs] = process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", program, ...args]] : [program, args];
  try {
    await run(command, commandArgs, { timeout: 60_000 });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${program} ${args.join(" ")} failed: ${(error as Error).message}\n${stdout}${stderr}`);
  }
}

// The temporary directory belongs to the postgres user when the programs run as that user.
async function ownByPostgres(directory: string): Promise<void> {
  if (process.getuid?.() !== 0) {
    return;
  }
  const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
  await chown(directory, Number(uid.stdout.trim()), Number(gid.stdout.trim()));
}

// A value inside pg_ctl's -o string, which the server splits on spaces.
function quoteSetting(value: string): string {
  return value === "" ? "''" : /^[\w.]+$/.test(value) ? value : `'${value.replaceAll("'", "''")}'`;
}
