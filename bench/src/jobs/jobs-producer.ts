// The producer of one job system: a process of its own, started by the jobs benchmark. It speaks
// the load client's protocol (process-messages.ts): on "run" a warm-up, on "measure" a timed
// closed loop of N producers, each enqueueing a job and waiting for its result, then the next.
// Usage (by the runner): node jobs-producer.js <ours|bullmq|bare> <url> <prefix>
import type { Caller } from "../callers/caller.js";
import type { LoadClientCommand, LoadClientEvent, LoadRunRequest } from "../process-messages.js";
import { runLoad } from "../run-load.js";
import { percentile } from "../statistics.js";
import { createJobCaller } from "./job-callers.js";
import { jobSystems, type JobSystem } from "./job-systems.js";

const send = (event: LoadClientEvent) => process.send?.(event);
const failed = (reason: unknown) => {
  send({ type: "failed", message: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) });
  process.exit(1);
};

if (process.send === undefined) {
  throw new Error("the jobs producer runs as a child of the runner (bench/src/jobs/jobs-benchmark.ts), with an IPC channel");
}
const [system = "", url = "", prefix = ""] = process.argv.slice(2);
let caller: Caller;
try {
  if (!(jobSystems as readonly string[]).includes(system)) {
    throw new Error(`no job system "${system}"`);
  }
  caller = await createJobCaller(system as JobSystem, { url, prefix });
} catch (reason) {
  failed(reason);
}

// The runner asks for one run at a time; a "measure" releases the run that is waiting for it.
let release: (() => void) | undefined;
process.on("message", (command: LoadClientCommand) => {
  switch (command.type) {
    case "run":
      void run(command).catch(failed);
      break;
    case "measure":
      release?.();
      break;
    case "exit":
      void caller.close().finally(() => process.exit(0));
      break;
  }
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });

async function run(request: LoadRunRequest): Promise<void> {
  if (request.warmupRequests > 0 && request.warmupMs > 0) {
    await runLoad(() => caller.call(), { inFlight: request.inFlight, requests: request.warmupRequests, durationMs: request.warmupMs });
  }
  const measure = new Promise<void>((resolve) => (release = resolve));
  send({ type: "warmed" });
  await measure;
  const cpuBefore = process.cpuUsage();
  const outcome = await runLoad(() => caller.call(), { inFlight: request.inFlight, requests: request.requests, durationMs: request.durationMs });
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = outcome.latenciesMs.sort();
  send({
    type: "result",
    requests: outcome.requests,
    elapsedMs: outcome.elapsedMs,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    cpuMs: (cpu.user + cpu.system) / 1_000,
  });
}
