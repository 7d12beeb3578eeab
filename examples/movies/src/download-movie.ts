import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { Code, RpcError, type HandlerContext } from "nats-micro-runtime";
import { defaultJobPolicy } from "nats-micro-runtime/jobs";
import type { Database } from "./database-pool.js";
import type { DownloadMovieRequest } from "./gen/movies/v1/movies_pb.js";
import type { DownloadsHandlers } from "./gen/movies/v1/movies_nats.js";

/** What the download worker needs. */
export interface DownloadSettings {
  readonly database: Database;
  /** Where files go: `<dir>/<movie id>`, written as a temporary file first. */
  readonly downloadsDir: string;
  /** How often at most a download's progress is written to the movie and the job. */
  readonly progressEveryMs?: number;
}

// The codes the job policy does not retry (docs/jobs.md, "Policy": the defaults, which
// movies.proto keeps): an attempt failing with one of them is the job's last.
const notRetried: ReadonlySet<Code> = new Set(defaultJobPolicy.nonRetryableCodes);

/** The path of a movie's downloaded file. */
export function movieFilePath(downloadsDir: string, id: string): string {
  return join(downloadsDir, id);
}

/**
 * The Downloads handlers: `downloadMovie` fetches a movie's source URL into the downloads
 * directory, streaming it to a temporary file renamed into place once complete (a reader never
 * sees half a file), and keeps the movie's download columns up to date: `downloading` with its
 * attempt, the progress (throttled), then `ready`, or `queued` again with the error when the
 * attempt will be retried, or `failed` after the last. It writes only those columns, each time
 * in one statement, so a concurrent change of title or description is never undone.
 *
 * Run as a job (`serve --jobs`), its id the movie's. A job runs at least once: a second run of a
 * finished download finds the movie `ready` and skips, and one for a deleted movie skips too.
 */
export function createDownloadsHandlers(settings: DownloadSettings): DownloadsHandlers {
  const { database, downloadsDir } = settings;
  const progressEveryMs = settings.progressEveryMs ?? 250;

  return {
    async downloadMovie(request: DownloadMovieRequest, context: HandlerContext) {
      const { id } = request;
      const attempt = context.job?.attempt ?? 1;
      const attempts = context.job?.attempts ?? 1;
      const taken = await database.query<{ source_url: string }>(
        `UPDATE movies SET state = 'downloading', attempt = $2, bytes_done = 0, updated_at = clock_timestamp()
         WHERE id = $1 AND state <> 'ready' RETURNING source_url`,
        [id, attempt],
      );
      const sourceUrl = taken.rows[0]?.source_url;
      if (sourceUrl === undefined) {
        const exists = (await database.query("SELECT 1 FROM movies WHERE id = $1", [id])).rowCount === 1;
        return { skipped: exists ? "the file is downloaded already" : "the movie was deleted" };
      }

      await mkdir(downloadsDir, { recursive: true });
      const temporary = join(downloadsDir, `.${id}.${randomUUID()}.part`);
      // Aborted by the job (its attempt's time, a stopping worker) or when the movie is deleted.
      const stop = new AbortController();
      const onAbort = () => stop.abort(context.signal.reason);
      context.signal.addEventListener("abort", onAbort, { once: true });
      if (context.signal.aborted) {
        onAbort(); // aborted before the listener was added: it would never be told
      }
      let deleted = false;
      try {
        const response = await fetch(sourceUrl, { signal: stop.signal });
        if (!response.ok || response.body === null) {
          await response.body?.cancel();
          throw sourceError(response.status, response.statusText);
        }
        const total = Number(response.headers.get("content-length") ?? 0);
        const hash = createHash("sha256");
        let bytes = 0;
        let reported = Date.now();
        let reporting: Promise<void> | undefined;
        // Writes the progress, one write at a time: a slow database slows the reports, not the download.
        const report = (done: number) => {
          reporting = (async () => {
            const updated = await database.query(
              "UPDATE movies SET bytes_done = $2, bytes_total = $3, updated_at = clock_timestamp() WHERE id = $1 AND state = 'downloading'",
              [id, done, total],
            );
            if (updated.rowCount === 0) {
              deleted = true;
              stop.abort(new RpcError(`movie ${id} was deleted`, Code.Canceled));
            }
            await context.job?.progress(total > 0 ? Math.min(1, done / total) : 0);
          })()
            .catch(() => {
              // A missed report is made up by the next one, or by the end.
            })
            .finally(() => (reporting = undefined));
        };
        report(0);
        const file = await open(temporary, "w");
        try {
          for await (const chunk of response.body) {
            hash.update(chunk);
            bytes += chunk.byteLength;
            await file.write(chunk);
            if (reporting === undefined && Date.now() - reported >= progressEveryMs) {
              reported = Date.now();
              report(bytes);
            }
          }
          await file.sync();
        } finally {
          await file.close();
        }
        await reporting;
        if (deleted) {
          throw stop.signal.reason;
        }
        if (total > 0 && bytes !== total) {
          throw new RpcError(`the source sent ${bytes} of its ${total} bytes`, Code.Unavailable);
        }
        const target = movieFilePath(downloadsDir, id);
        await rename(temporary, target);
        await context.job?.progress(1);
        const finished = await database.query(
          `UPDATE movies SET state = 'ready', bytes_done = $2, bytes_total = $2, error = '', updated_at = clock_timestamp()
           WHERE id = $1 AND state = 'downloading'`,
          [id, bytes],
        );
        if (finished.rowCount === 0) {
          // Deleted while its file was being renamed into place.
          await rm(target, { force: true });
          return { skipped: "the movie was deleted" };
        }
        return { bytes: BigInt(bytes), sha256: hash.digest("hex") };
      } catch (error) {
        await rm(temporary, { force: true });
        if (deleted) {
          return { skipped: "the movie was deleted" };
        }
        const failure = downloadFailure(error, context.signal);
        const last = attempt >= attempts || notRetried.has(failure.code);
        // The movie says what happened; if the database is down now, the next attempt sets it.
        await database
          .query("UPDATE movies SET state = $2, error = $3, updated_at = clock_timestamp() WHERE id = $1 AND state = 'downloading'", [
            id,
            last ? "failed" : "queued",
            `attempt ${attempt} of ${attempts}: ${failure.rawMessage}`,
          ])
          .catch(() => undefined);
        throw failure;
      } finally {
        context.signal.removeEventListener("abort", onAbort);
      }
    },
  };
}

// The code of an answer of the source that is not a success: worth retrying when the source is
// busy or broken for now (5xx, 408, 429), not when it refuses the request (other 4xx).
function sourceError(status: number, statusText: string): RpcError {
  const retried = status >= 500 || status === 408 || status === 429;
  return new RpcError(`the source answered ${status} ${statusText}`.trim(), retried ? Code.Unavailable : Code.FailedPrecondition);
}

// Why an attempt failed, as an RpcError: the job's own deadline or stop, the source, the disk.
function downloadFailure(error: unknown, signal: AbortSignal): RpcError {
  if (signal.aborted) {
    return signal.reason instanceof RpcError ? signal.reason : new RpcError("the download was stopped", Code.Canceled);
  }
  if (error instanceof RpcError) {
    return error;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const message = error instanceof Error ? `${error.message}${cause === undefined ? "" : `: ${cause.message}`}` : String(error);
  // fetch fails with a TypeError for the network (refused, reset, DNS), the rest is the disk's.
  return new RpcError(`cannot download: ${message}`, error instanceof TypeError ? Code.Unavailable : Code.Internal, { cause: error });
}
