import { JobState } from "nats-micro-runtime/jobs";
import type { Database } from "./database-pool.js";

/** What the check of stranded downloads needs. */
export interface StrandedDownloadsSettings {
  readonly database: Database;
  /** The state of the movie's download job, its attempts so far and its last error, or `undefined` when it has no job. */
  jobOf(id: string): Promise<{ readonly state: string; readonly attempt: number; readonly error?: string | undefined } | undefined>;
  /** Enqueues the download job of the movie under the movie's id. */
  enqueue(id: string): Promise<void>;
  /** Told of each movie whose download was queued again, and of a failed check. */
  onRequeued(id: string): void;
  /** Told of each movie marked failed because its job ended without a word from the download. */
  onFailed(id: string, jobState: string): void;
  onError(error: unknown): void;
  /** Between checks (jittered by ±20 %, so that engine processes spread their checks); 15 s unless set. */
  readonly everyMs?: number;
  /** How long a movie waits for its first attempt before it is checked; 30 s unless set. */
  readonly olderThanMs?: number;
}

// The job states in which no attempt will run any more.
const endedJobStates = new Set<string>([JobState.Dead, JobState.Failed, JobState.Cancelled]);

/**
 * Starts checking, every few seconds, that each movie's download is still on its way:
 * - a movie still waiting for its first attempt must have a download job on its way: one whose
 *   engine stopped (or lost JetStream) between saving it and enqueueing its job gets it now, and
 *   so does one whose job was never started, in case its engine stopped half-way through the
 *   enqueue (the job's record stored, its message not: docs/jobs.md, "Idempotent enqueue").
 *   Enqueueing is idempotent (the job's id is the movie's): a job whose message is only waiting
 *   in the queue gets a copy at most, which the worker drops, so engine processes checking at
 *   once do no harm;
 * - a movie left `downloading` (or `queued` for a retry) without progress whose job has ended is
 *   marked `failed`: the download never got to say so because its process was killed during its
 *   last attempt (every attempt, for a file that crashes its worker).
 * Returns the function that stops it, after the check under way.
 */
export function startStrandedDownloadsCheck(settings: StrandedDownloadsSettings): () => Promise<void> {
  const everyMs = settings.everyMs ?? 15_000;
  const olderThanMs = settings.olderThanMs ?? 30_000;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function check(): Promise<void> {
    const waiting = await settings.database.query<{ id: string }>(
      `SELECT id FROM movies WHERE state = 'queued' AND attempt = 0 AND updated_at < clock_timestamp() - $1 * interval '1 millisecond'
       ORDER BY updated_at LIMIT 100`,
      [olderThanMs],
    );
    for (const { id } of waiting.rows) {
      if (stopped) {
        return;
      }
      const job = await settings.jobOf(id);
      if (job === undefined || (job.state === JobState.Queued && job.attempt === 0)) {
        await settings.enqueue(id);
        settings.onRequeued(id);
      }
    }
    const unfinished = await settings.database.query<{ id: string }>(
      `SELECT id FROM movies WHERE state IN ('queued', 'downloading') AND attempt > 0 AND updated_at < clock_timestamp() - $1 * interval '1 millisecond'
       ORDER BY updated_at LIMIT 100`,
      [olderThanMs],
    );
    for (const { id } of unfinished.rows) {
      if (stopped) {
        return;
      }
      const job = await settings.jobOf(id);
      if (job !== undefined && endedJobStates.has(job.state)) {
        const error = job.error ?? `the download job ended ${job.state}`;
        const marked = await settings.database.query(
          "UPDATE movies SET state = 'failed', error = $2, updated_at = clock_timestamp() WHERE id = $1 AND state IN ('queued', 'downloading')",
          [id, error],
        );
        if (marked.rowCount === 1) {
          settings.onFailed(id, job.state);
        }
      }
    }
  }

  function schedule(): void {
    timer = setTimeout(() => {
      running = check()
        .catch(settings.onError)
        .finally(() => {
          running = undefined;
          if (!stopped) {
            schedule();
          }
        });
    }, everyMs * (0.8 + Math.random() * 0.4));
    timer.unref();
  }

  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
