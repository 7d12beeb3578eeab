import { performance } from "node:perf_hooks";

/** Bounds of one load run: it ends at whichever comes first. */
export interface LoadBounds {
  /** Requests kept in flight at once (a closed loop: each finished request starts the next). */
  inFlight: number;
  requests: number;
  durationMs: number;
}

/** What a load run did. */
export interface LoadOutcome {
  requests: number;
  elapsedMs: number;
  /** Latency of each request in milliseconds, in the order they finished; `requests` long. */
  latenciesMs: Float64Array;
}

/**
 * Calls `call` with `inFlight` requests outstanding until `requests` have been sent or
 * `durationMs` has passed. The first failure ends the run and rejects.
 */
export async function runLoad(call: () => Promise<void>, bounds: LoadBounds): Promise<LoadOutcome> {
  const latenciesMs = new Float64Array(bounds.requests);
  let sent = 0;
  let finished = 0;
  let failure: { reason: unknown } | undefined;
  const startedAt = performance.now();
  const endsAt = startedAt + bounds.durationMs;
  const worker = async () => {
    while (failure === undefined && sent < bounds.requests && performance.now() < endsAt) {
      sent += 1;
      const callStartedAt = performance.now();
      try {
        await call();
      } catch (reason) {
        failure ??= { reason };
        return;
      }
      latenciesMs[finished] = performance.now() - callStartedAt;
      finished += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, bounds.inFlight) }, worker));
  const elapsedMs = performance.now() - startedAt;
  if (failure !== undefined) {
    throw failure.reason;
  }
  return { requests: finished, elapsedMs, latenciesMs: latenciesMs.subarray(0, finished) };
}
