// The load client's side of its protocol with the runner (process-messages.ts), for every program
// that is one: the cases' load client and the jobs producers.
import type { Caller } from "./callers/caller.js";
import type { LoadClientCommand, LoadClientEvent, LoadRunRequest } from "./process-messages.js";
import { runLoad } from "./run-load.js";
import { percentile } from "./statistics.js";

/**
 * Opens the caller, says "ready", then runs what the runner asks: on "run" a warm-up, then on
 * "measure" a timed closed loop whose figures it reports; "exit" closes the caller and exits.
 * `parent` names the runner in the error of a process started without one.
 */
export async function serveLoadClient(openCaller: () => Promise<Caller>, parent: string): Promise<void> {
  const send = (event: LoadClientEvent) => process.send?.(event);
  const failed = (reason: unknown) => {
    send({ type: "failed", message: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) });
    process.exit(1);
  };
  if (process.send === undefined) {
    throw new Error(`this load client runs as a child of ${parent}, with an IPC channel`);
  }
  let caller: Caller;
  try {
    caller = await openCaller();
  } catch (reason) {
    failed(reason);
    return;
  }

  // The runner asks for one run at a time; a "measure" releases the run that is waiting for it.
  let release: (() => void) | undefined;
  const run = async (request: LoadRunRequest): Promise<void> => {
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
  };
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
}
