import { join } from "node:path";
import { runCli, startCli, type RunningCli } from "./cli-process.js";
import { rootDirectory } from "./paths.js";

/** The movies example's program (`examples/movies/bin/movies.js`). */
export const moviesProgram = join(rootDirectory, "examples", "movies", "bin", "movies.js");

/** Applies the movies migrations to a database (`movies migrate`); throws with its output if it fails. */
export async function migrateMovies(databaseUrl: string): Promise<void> {
  const result = await runCli(moviesProgram, ["migrate", "--database-url", databaseUrl]);
  if (result.exitCode !== 0) {
    throw new Error(`movies migrate exited ${result.exitCode}:\n${result.stdout}${result.stderr}`);
  }
}

/** What {@link startMoviesMirror}, {@link startMoviesEngine} and {@link startMoviesGateway} start. */
export interface MoviesProcess {
  readonly cli: RunningCli;
  /** SIGTERM, then the exit code (a process still there after 15 s is killed and this rejects). */
  stop(): Promise<number | null>;
}

// SIGTERM to the program (its primary stops its workers), then its exit code.
function stoppable(cli: RunningCli): MoviesProcess {
  return {
    cli,
    async stop() {
      if (cli.child.exitCode === null && cli.child.signalCode === null) {
        cli.child.kill("SIGTERM");
      }
      const timer = setTimeout(() => void cli.kill(), 15_000);
      const { code, signal } = await cli.exited;
      clearTimeout(timer);
      if (signal === "SIGKILL") {
        throw new Error(`the movies process did not stop within 15 s of SIGTERM; stderr:\n${cli.stderr()}`);
      }
      return code;
    },
  };
}

/** `movies mirror` on a free port; resolves once it serves, with its URL. */
export async function startMoviesMirror(): Promise<MoviesProcess & { url: string }> {
  const cli = startCli(moviesProgram, ["mirror", "--port", "0"]);
  const url = String((await cli.waitForLog((line) => line.msg === "mirror serving", 15_000)).url);
  return { ...stoppable(cli), url };
}

/** Where and how {@link startMoviesEngine} runs the engine. */
export interface MoviesEngineOptions {
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly downloadsDir: string;
  /** Processes (`--workers`); 1 unless set. */
  readonly workers?: number;
  /** Run the downloads (`--jobs`); true unless set. */
  readonly jobs?: boolean;
  /** More flags of `engine serve` (`--job-lease 2000`, `--drain-timeout 5000`). */
  readonly flags?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `movies engine serve --workers N --jobs` (the Movies service and the download jobs); resolves
 * once each of its processes logs "serving".
 */
export async function startMoviesEngine(options: MoviesEngineOptions): Promise<MoviesProcess> {
  const workers = options.workers ?? 1;
  const args = ["engine", "serve", "--workers", String(workers), "--database-url", options.databaseUrl, "--downloads-dir", options.downloadsDir, "--server", options.natsUrl];
  const cli = startCli(moviesProgram, [...args, ...(options.jobs === false ? [] : ["--jobs"]), ...(options.flags ?? [])], options.env === undefined ? {} : { env: options.env });
  await untilServing(cli, "serving", workers);
  return stoppable(cli);
}

/**
 * `movies gateway --port P --workers N` (a free port unless `port` is set); resolves once every
 * process serves, with its URL.
 */
export async function startMoviesGateway(options: { natsUrl: string; workers?: number; port?: number; flags?: readonly string[] }): Promise<MoviesProcess & { url: string }> {
  const workers = options.workers ?? 1;
  const cli = startCli(moviesProgram, ["gateway", "--port", String(options.port ?? 0), "--workers", String(workers), "--server", options.natsUrl, ...(options.flags ?? [])]);
  await untilServing(cli, "gateway serving", workers);
  const url = String(cli.logs.find((line) => line.msg === "gateway serving")!.url);
  return { ...stoppable(cli), url };
}

// Waits until `workers` processes have logged `message` (30 s: a busy machine starts node slowly);
// a program that does not get there is killed, so that nothing outlives the test.
async function untilServing(cli: RunningCli, message: string, workers: number): Promise<void> {
  try {
    await cli.waitForLog(() => cli.logs.filter((line) => line.msg === message).length >= workers, 30_000);
  } catch (error) {
    await cli.kill();
    throw error;
  }
}
