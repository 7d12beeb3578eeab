import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A real nats-server process, listening on a free port on 127.0.0.1 only. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/** How long a server may take to say that it listens. */
const startTimeoutMs = 10_000;

/**
 * Starts `nats-server` (the Debian package; `make test` installs it) on a port the operating
 * system picks, and resolves once it accepts clients. `config` is added to its configuration file,
 * for settings such as `max_payload`.
 */
export async function startNatsServer(config = ""): Promise<NatsServer> {
  const directory = await mkdtemp(join(tmpdir(), "nats-server-"));
  const configFile = join(directory, "nats.conf");
  // Port -1: the server picks a free port and logs it, so no two tests can race for one.
  await writeFile(configFile, `listen: "127.0.0.1:-1"\n${config}\n`);
  const server = spawn("nats-server", ["-c", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  try {
    const port = await listeningPort(server);
    return {
      url: `nats://127.0.0.1:${port}`,
      port,
      stop: async () => {
        await stopProcess(server);
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopProcess(server);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

// Reads the server's log until it names the client port.
function listeningPort(server: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`nats-server did not start within ${startTimeoutMs} ms:\n${log}`)), startTimeoutMs);
    server.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run nats-server (is it installed? make test installs it): ${error.message}`));
    });
    server.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with code ${code}:\n${log}`));
    });
    server.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
      if (match !== null) {
        clearTimeout(timer);
        server.stderr!.removeAllListeners("data");
        server.stderr!.resume();
        resolve(Number(match[1]));
      }
    });
  });
}

// Stops a process: SIGTERM, then SIGKILL if it has not gone within a few seconds.
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const killTimer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(killTimer);
}
