import { performance } from "node:perf_hooks";
import { RpcError } from "nats-micro-runtime";

/** How one call of a steady load ended. Times are `performance.now()` milliseconds. */
export interface LoadOutcome {
  readonly id: number;
  readonly sentAt: number;
  readonly settledAt: number;
  /** `ok`, or the `RpcError` code the call failed with (`not an RpcError` for anything else). */
  readonly outcome: string;
  /** What a successful call resolved with (such as the instance that answered), or the message of a failed one. */
  readonly value: string | undefined;
}

/** A load that is running; {@link stop} ends it. */
export interface SteadyLoad {
  /** Outcomes of the calls settled so far, in the order they settled. */
  readonly settled: readonly LoadOutcome[];
  /** Calls started so far. */
  started(): number;
  /** Stops starting calls and resolves with every outcome once the calls still running have settled. */
  stop(): Promise<LoadOutcome[]>;
}

/** Options of {@link startSteadyLoad}. */
export interface SteadyLoadOptions {
  /** Time between the starts of two calls. */
  intervalMs: number;
  /** The most calls it starts, whatever the time. */
  maxCalls: number;
  /** How long {@link SteadyLoad.stop} waits for the calls still running before it fails. */
  settleTimeoutMs?: number;
}

/**
 * Starts one call every `intervalMs` (never waiting for the calls before it, as independent
 * clients would), until stopped or `maxCalls` have started; records how each call ended.
 */
export function startSteadyLoad(call: (id: number) => Promise<string | undefined>, options: SteadyLoadOptions): SteadyLoad {
  const settled: LoadOutcome[] = [];
  const running = new Set<Promise<void>>();
  let count = 0;
  const startOne = () => {
    if (count >= options.maxCalls) {
      clearInterval(timer);
      return;
    }
    const id = count;
    count += 1;
    const sentAt = performance.now();
    const record = (outcome: string, value: string | undefined) => {
      settled.push({ id, sentAt, settledAt: performance.now(), outcome, value });
    };
    const promise: Promise<void> = call(id).then(
      (value) => record("ok", value),
      (error: unknown) => record(error instanceof RpcError ? error.code : "not an RpcError", error instanceof Error ? error.message : String(error)),
    );
    running.add(promise);
    void promise.finally(() => running.delete(promise));
  };
  const timer = setInterval(startOne, options.intervalMs);
  startOne();
  return {
    settled,
    started: () => count,
    async stop() {
      clearInterval(timer);
      const settleTimeoutMs = options.settleTimeoutMs ?? 10_000;
      let guard: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        guard = setTimeout(() => reject(new Error(`${running.size} calls still running ${settleTimeoutMs} ms after the load stopped`)), settleTimeoutMs);
      });
      try {
        await Promise.race([Promise.all([...running]), timedOut]);
      } finally {
        clearTimeout(guard);
      }
      return [...settled].sort((a, b) => a.id - b.id);
    },
  };
}

/** Counts outcomes by kind: `{ ok: 120, unavailable: 3 }`. */
export function countOutcomes(outcomes: readonly LoadOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { outcome } of outcomes) {
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}
