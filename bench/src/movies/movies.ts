// `npm run bench:movies`: the movies example's benchmark (bench/src/movies/movies-benchmark.ts);
// prints the tables of examples/movies/README.md, "Benchmark".
import { writeFile } from "node:fs/promises";
import type { Stoppable } from "../gateway/gateway-benchmark.js";
import { formatMoviesReport } from "./format-movies-report.js";
import { runMoviesBenchmark } from "./movies-benchmark.js";
import { moviesUsage, parseMoviesOptions } from "./movies-options.js";

/** Whatever is running, so that an error or Ctrl-C still stops every process and drops the database. */
const running: Stoppable[] = [];

async function stopAll(): Promise<void> {
  while (running.length > 0) {
    await running.pop()!.stop().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const options = parseMoviesOptions(process.argv.slice(2));
  if (options === "help") {
    process.stdout.write(moviesUsage);
    return;
  }
  const { jsonFile, ...benchmarkOptions } = options;
  process.stderr.write("  movies: the REST API over NATS and PostgreSQL\n");
  const benchmark = await runMoviesBenchmark(
    benchmarkOptions,
    (started) => running.push(started),
    (line) => process.stderr.write(`${line}\n`),
  );
  process.stdout.write(`${formatMoviesReport(benchmark)}\n`);
  if (jsonFile !== undefined) {
    await writeFile(jsonFile, `${JSON.stringify(benchmark, null, 2)}\n`);
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));
}

try {
  await main();
} catch (error) {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await stopAll();
  process.exitCode = 1;
}
