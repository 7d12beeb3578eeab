// `npm run bench:streaming`: the streaming benchmark (bench/src/streaming/streaming-benchmark.ts)
// alone. An error or Ctrl-C still stops every process it started.
import { runStandaloneBenchmark } from "../standalone-benchmark.js";
import { streamingBenchmark } from "./streaming-benchmark.js";

await runStandaloneBenchmark(streamingBenchmark);
