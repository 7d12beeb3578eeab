/**
 * What became of one delivery of a job: `completed`, `failed` (ended with an error, dead-lettered),
 * `dead` (could not run, dead-lettered), `retried` (failed, another attempt follows),
 * `given_back` (its worker stopped; not counted as an attempt), or `lost` (another worker or
 * run had changed the job first: nothing of this delivery was stored).
 */
export type JobOutcome = "completed" | "failed" | "dead" | "retried" | "given_back" | "lost";

/** Every outcome, in the order reports show them. */
export const jobOutcomes: readonly JobOutcome[] = ["completed", "failed", "dead", "retried", "given_back", "lost"];

/** The jobs of one method that a worker ran, by outcome, and those running now. */
export interface JobCounters {
  readonly outcomes: Record<JobOutcome, number>;
  running: number;
  /** Jobs waiting in the queue and the age of the oldest, as last read from the server. */
  queue: { pending: number; oldestAgeMs: number } | undefined;
}

/** New counters, all at zero. */
export function createJobCounters(): JobCounters {
  return { outcomes: { completed: 0, failed: 0, dead: 0, retried: 0, given_back: 0, lost: 0 }, running: 0, queue: undefined };
}

/** The counters as `$SRV.STATS` shows them in an endpoint's `data.jobs`. */
export function jobStatsData(counters: JobCounters): Record<string, unknown> {
  return {
    jobs: {
      ...counters.outcomes,
      running: counters.running,
      ...(counters.queue === undefined ? {} : { queued: counters.queue.pending, oldest_age_ms: counters.queue.oldestAgeMs }),
    },
  };
}
