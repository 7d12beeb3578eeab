// The producer of one job system: a process of its own, started by the jobs benchmark. It speaks
// the load client's protocol (process-messages.ts): on "run" a warm-up, on "measure" a timed
// closed loop of N producers, each enqueueing a job and waiting for its result, then the next.
// Usage (by the runner): node jobs-producer.js <ours|bullmq|bare> <url> <prefix>
import { serveLoadClient } from "../serve-load-client.js";
import { createJobCaller } from "./job-callers.js";
import { jobSystems, type JobSystem } from "./job-systems.js";

const [system = "", url = "", prefix = ""] = process.argv.slice(2);
await serveLoadClient(async () => {
  if (!(jobSystems as readonly string[]).includes(system)) {
    throw new Error(`no job system "${system}"`);
  }
  return createJobCaller(system as JobSystem, { url, prefix });
}, "the jobs benchmark (bench/src/jobs/jobs-benchmark.ts)");
