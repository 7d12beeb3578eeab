import { spawn } from "node:child_process";
import { join } from "node:path";
import { rootDirectory } from "../bench-paths.js";
import { freePort } from "../gateway/free-port.js";
import { startProgramProcess, waitUntilHttpReady, type ProgramProcess } from "../program-process.js";

/** The example's `movies` program, as `npx movies` runs it. */
export const moviesProgram = join(rootDirectory, "examples", "movies", "bin", "movies.js");

/** A `movies` command that serves HTTP on 127.0.0.1: the gateway or the mirror. */
export interface MoviesHttpCommand extends ProgramProcess {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
}

const migrateTimeoutMs = 60_000;

/**
 * Runs `movies migrate --create-database --database-url URL`: creates the database (it must not
 * exist yet, so that the benchmark never works on someone else's) and applies every migration.
 */
export async function migrateMoviesDatabase(databaseUrl: string): Promise<void> {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [moviesProgram, "migrate", "--create-database", "--database-url", databaseUrl], { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), migrateTimeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve(text);
      } else {
        reject(new Error(`movies migrate --create-database ended with ${signal ?? `code ${code}`}:\n${text.slice(-2_000)}`));
      }
    });
  });
  if (!output.includes("created database")) {
    throw new Error(`movies migrate --create-database did not create the database (it existed already?):\n${output}`);
  }
}

/** Starts `movies mirror` on a free port of 127.0.0.1 and resolves once it answers `/healthz`. */
export async function startMoviesMirror(): Promise<MoviesHttpCommand> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const command = await startProgramProcess({
    program: moviesProgram,
    args: ["mirror", "--host", "127.0.0.1", "--port", String(port)],
    readyMessage: "mirror serving",
    readyCount: 1,
    what: "movies mirror",
  });
  try {
    await waitUntilHttpReady(`${origin}/healthz`, "movies mirror");
  } catch (error) {
    await command.stop();
    throw error;
  }
  return { ...command, origin };
}

/** Where an engine keeps its data and finds NATS. */
export interface EngineSetting {
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly downloadsDir: string;
  /** `engine serve --workers`. */
  readonly workers: number;
}

/**
 * Starts `movies engine serve --workers N --jobs`: the Movies service and the download jobs in
 * N processes (the configuration's defaults otherwise: a pool of 10 database connections and 8
 * downloads at once per process). Resolves once every process serves.
 */
export function startMoviesEngine(setting: EngineSetting): Promise<ProgramProcess> {
  return startProgramProcess({
    program: moviesProgram,
    args: [
      "engine", "serve", "--workers", String(setting.workers), "--jobs",
      "--downloads-dir", setting.downloadsDir, "--database-url", setting.databaseUrl, "--server", setting.natsUrl,
    ],
    readyMessage: "serving",
    readyCount: setting.workers,
    what: `movies engine serve --workers ${setting.workers} --jobs`,
  });
}

/**
 * Starts `movies gateway --workers N` on a free port of 127.0.0.1 and resolves once every process
 * serves and `/readyz` answers 200 (the engine answers a ping).
 */
export async function startMoviesGateway(natsUrl: string, workers: number): Promise<MoviesHttpCommand> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const what = `movies gateway --workers ${workers}`;
  const command = await startProgramProcess({
    program: moviesProgram,
    args: ["gateway", "--host", "127.0.0.1", "--port", String(port), "--workers", String(workers), "--server", natsUrl],
    readyMessage: "gateway serving",
    readyCount: workers,
    what,
  });
  try {
    await waitUntilHttpReady(`${origin}/readyz`, what);
  } catch (error) {
    await command.stop();
    throw error;
  }
  return { ...command, origin };
}
