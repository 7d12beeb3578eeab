// `npm run bench:movies`: the movies example's benchmark (bench/src/movies/movies-benchmark.ts);
// prints the tables of examples/movies/README.md, "Benchmark". An error or Ctrl-C still stops
// every process and drops the database.
import { runStandaloneBenchmark } from "../standalone-benchmark.js";
import { formatMoviesReport } from "./format-movies-report.js";
import { runMoviesBenchmark } from "./movies-benchmark.js";
import { moviesUsage, parseMoviesOptions } from "./movies-options.js";

await runStandaloneBenchmark({
  title: "movies: the REST API over NATS and PostgreSQL",
  usage: moviesUsage,
  parse: parseMoviesOptions,
  run: runMoviesBenchmark,
  format: formatMoviesReport,
});
