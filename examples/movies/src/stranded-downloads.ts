import type { Database } from "./database-pool.js";

/** What the check of stranded downloads needs. */
export interface StrandedDownloadsSettings {
  readonly database: Database;
  /** Whether the movie's download job exists (its record is kept); errors count as "yes". */
  hasJob(id: string): Promise<boolean>;
  /** Enqueues the download job of the movie under the movie's id. */
  enqueue(id: string): Promise<void>;
  /** Told of each movie whose download was queued again, and of a failed check. */
  onRequeued(id: string): void;
  onError(error: unknown): void;
  /** Between checks (jittered by ±20 %, so that engine processes spread their checks); 15 s unless set. */
  readonly everyMs?: number;
  /** How long a movie waits for its first attempt before it is checked; 30 s unless set. */
  readonly olderThanMs?: number;
}

/**
 * Starts checking, every few seconds, that each movie still waiting for its first download
 * attempt has a download job, and enqueues one for any that has none: a movie whose engine
 * stopped (or lost JetStream) between saving it and enqueueing its job. Enqueueing is idempotent
 * (the job's id is the movie's), so engine processes checking at once do no harm. Returns the
 * function that stops it, after the check under way.
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
      if (!(await settings.hasJob(id))) {
        await settings.enqueue(id);
        settings.onRequeued(id);
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
