import { parseArgs } from "node:util";
import type { MoviesBenchmarkOptions } from "./movies-benchmark.js";

/** The flags of `npm run bench:movies`, as `--help` prints them. */
export const moviesUsage = `usage: npm run bench:movies -- [flags]

The movies example (examples/movies) as real processes on 127.0.0.1 — nats-server with JetStream,
movies engine serve --workers N --jobs, movies gateway --workers 2, movies mirror — on a database of
its own on the PostgreSQL server (created by movies migrate --create-database, dropped at the end),
against node:http + pg in one process as the baseline.

  --quick                   a short run: one repetition of fewer requests
  --get-requests N          requests of each measured GET run (default 5000)
  --post-requests N         requests of each measured POST run (default 2000)
  --repetitions N           interleaved repetitions (default 3)
  --connections 8,64        connections of the closed loop, one request in flight each
  --engine-workers 1,2      engine serve --workers settings, a system of its own each
  --seed N                  movies created first, read in turn by the GETs (default 2000)
  --warmup N                requests of each operation per target before the runs (default 1000)
  --download-bytes N        size of the file each new movie downloads from the mirror (default 1024)
  --database-server URL     the PostgreSQL server (default postgres://postgres@127.0.0.1:5432)
  --json FILE               also write every figure as JSON
  --help                    this text
`;

/** The PostgreSQL server the benchmark uses unless told otherwise: the machine's. */
export const defaultDatabaseServer = "postgres://postgres@127.0.0.1:5432";

/** The settings of a full run, or of a `--quick` one. */
export function defaultMoviesOptions(quick: boolean): MoviesBenchmarkOptions {
  return {
    getRequests: quick ? 1_000 : 5_000,
    postRequests: quick ? 500 : 2_000,
    repetitions: quick ? 1 : 3,
    connections: [8, 64],
    engineWorkers: [1, 2],
    gatewayWorkers: 2,
    seedMovies: quick ? 300 : 2_000,
    warmupRequests: quick ? 300 : 1_000,
    downloadBytes: 1_024,
    databaseServer: defaultDatabaseServer,
  };
}

/** Reads the command line of `npm run bench:movies`; throws with the usage on a mistake. */
export function parseMoviesOptions(args: readonly string[]): (MoviesBenchmarkOptions & { jsonFile: string | undefined }) | "help" {
  const { values } = parseArgs({
    args: [...args],
    options: {
      help: { type: "boolean", short: "h" },
      quick: { type: "boolean" },
      "get-requests": { type: "string" },
      "post-requests": { type: "string" },
      repetitions: { type: "string" },
      connections: { type: "string" },
      "engine-workers": { type: "string" },
      seed: { type: "string" },
      warmup: { type: "string" },
      "download-bytes": { type: "string" },
      "database-server": { type: "string" },
      json: { type: "string" },
    },
    strict: true,
  });
  if (values.help === true) {
    return "help";
  }
  const defaults = defaultMoviesOptions(values.quick === true);
  const whole = (flag: string, text: string, least: number) => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < least) {
      throw new Error(`${flag} takes a whole number of at least ${least}, got "${text}"\n\n${moviesUsage}`);
    }
    return value;
  };
  const number = (flag: string, text: string | undefined, fallback: number, least: number) => (text === undefined ? fallback : whole(flag, text, least));
  const list = (flag: string, text: string | undefined, fallback: readonly number[]) => (text === undefined ? fallback : text.split(",").map((item) => whole(flag, item.trim(), 1)));
  const databaseServer = values["database-server"] ?? defaults.databaseServer;
  if (!/^postgres(ql)?:\/\//.test(databaseServer)) {
    throw new Error(`--database-server takes a postgres:// URL, got "${databaseServer}"\n\n${moviesUsage}`);
  }
  return {
    getRequests: number("--get-requests", values["get-requests"], defaults.getRequests, 1),
    postRequests: number("--post-requests", values["post-requests"], defaults.postRequests, 1),
    repetitions: number("--repetitions", values.repetitions, defaults.repetitions, 1),
    connections: list("--connections", values.connections, defaults.connections),
    engineWorkers: list("--engine-workers", values["engine-workers"], defaults.engineWorkers),
    gatewayWorkers: defaults.gatewayWorkers,
    seedMovies: number("--seed", values.seed, defaults.seedMovies, 1),
    warmupRequests: number("--warmup", values.warmup, defaults.warmupRequests, 1),
    downloadBytes: number("--download-bytes", values["download-bytes"], defaults.downloadBytes, 0),
    databaseServer,
    jsonFile: values.json,
  };
}
