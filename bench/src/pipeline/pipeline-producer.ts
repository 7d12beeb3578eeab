// The producer of one pipeline system: a process of its own, started by the pipeline benchmark. It
// speaks the load client's protocol (process-messages.ts): on "run" a warm-up, on "measure" a timed
// closed loop of N callers, each putting a record on the route and waiting for the last stop to
// announce it, then the next.
// Usage (by the runner): node pipeline-producer.js <ours|bare> <url>
import { serveLoadClient } from "../serve-load-client.js";
import { createPipelineCaller } from "./pipeline-callers.js";
import { pipelineSystems, type PipelineSystem } from "./pipeline-systems.js";

const [system = "", url = ""] = process.argv.slice(2);
await serveLoadClient(async () => {
  if (!(pipelineSystems as readonly string[]).includes(system)) {
    throw new Error(`no pipeline system "${system}"`);
  }
  return createPipelineCaller(system as PipelineSystem, url);
}, "the pipeline benchmark (bench/src/pipeline/pipeline-benchmark.ts)");
