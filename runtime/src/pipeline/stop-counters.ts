/**
 * What became of one delivery at a stop: `forwarded` to the next stop, `completed` (the route
 * ended at this stop), `dropped` (the handler returned nothing), `retried` (the attempt failed,
 * another follows after its back-off), `dead_lettered`, or `given_back` (the stop's runner
 * stopped; no attempt counted).
 */
export type StopOutcome = "forwarded" | "completed" | "dropped" | "retried" | "dead_lettered" | "given_back";

/** How many recent handling times the latency percentiles are taken over. */
const latencyWindow = 1_000;

/** The counters of one stop of a host, since it started. */
export interface StopCounters {
  received: number;
  forwarded: number;
  dropped: number;
  /** Attempts that threw or ran out of time. */
  failed: number;
  deadLettered: number;
  completed: number;
  /** Recent handling times in milliseconds, a ring of {@link latencyWindow}. */
  readonly latencies: number[];
  next: number;
}

/** New counters, all at zero. */
export function createStopCounters(): StopCounters {
  return { received: 0, forwarded: 0, dropped: 0, failed: 0, deadLettered: 0, completed: 0, latencies: [], next: 0 };
}

/** Keeps one handling time in the window. */
export function recordLatency(counters: StopCounters, milliseconds: number): void {
  if (counters.latencies.length < latencyWindow) {
    counters.latencies.push(milliseconds);
  } else {
    counters.latencies[counters.next] = milliseconds;
    counters.next = (counters.next + 1) % latencyWindow;
  }
}

/** The counters as `$SRV.STATS` shows them in a stop endpoint's `data.pipeline` (docs/pipelines.md). */
export function stopStatsData(counters: StopCounters): Record<string, unknown> {
  const sorted = [...counters.latencies].sort((a, b) => a - b);
  const percentile = (fraction: number) => (sorted.length === 0 ? 0 : round(sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!));
  return {
    pipeline: {
      received: counters.received,
      forwarded: counters.forwarded,
      dropped: counters.dropped,
      failed: counters.failed,
      dead_lettered: counters.deadLettered,
      completed: counters.completed,
      latency_ms: { p50: percentile(0.5), p99: percentile(0.99) },
    },
  };
}

function round(milliseconds: number): number {
  return Math.round(milliseconds * 1000) / 1000;
}
