import type { DescMessage, MessageShape, Registry } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { decodeMessage } from "../protocol/codec.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { isFinished, JobState, rpcErrorOf, type JobRecord } from "./job-record.js";
import type { JobStore } from "./job-store.js";
import type { JobAnnouncements } from "./job-announcements.js";

/** What `status()` tells of a job. */
export interface JobStatus {
  readonly id: string;
  /** The method (ADR-32 endpoint name). */
  readonly method: string;
  readonly state: JobState;
  /** Attempts started. */
  readonly attempt: number;
  /** Attempts allowed in all. */
  readonly attempts: number;
  readonly enqueuedAt: Date;
  readonly notBefore: Date | undefined;
  readonly startedAt: Date | undefined;
  readonly nextAttemptAt: Date | undefined;
  readonly finishedAt: Date | undefined;
  /** The last value the handler gave `progress()`. */
  readonly progress: number | undefined;
  /** The error of the last failed attempt. */
  readonly error: RpcError | undefined;
  /** The instance id of the worker of the last attempt. */
  readonly worker: string | undefined;
}

/** Options of {@link JobHandle.result}. */
export interface JobResultOptions {
  /** How long to wait for the job to finish, in milliseconds; without it, as long as it takes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A job, enqueued or looked up by id: its state, and its result once it has one.
 *
 * @example
 * const job = await jobs.enqueue.average({ values: [1, 2] }, { id: "order-42" });
 * const reply = await job.result({ timeoutMs: 60_000 });
 */
export interface JobHandle<Output extends DescMessage> {
  readonly id: string;
  /** The method (ADR-32 endpoint name). */
  readonly method: string;
  /** The job's state now; `undefined` when there is no such job (or its record expired). */
  status(): Promise<JobStatus | undefined>;
  /**
   * Waits until the job is over, then resolves with its reply, or rejects with the `RpcError` of
   * its last attempt (`canceled` for a cancelled job). Rejects with `deadline_exceeded` when
   * `timeoutMs` runs out first (the job goes on), `not_found` when there is no such job.
   */
  result(options?: JobResultOptions): Promise<MessageShape<Output>>;
  /**
   * Cancels the job if it has not started: resolves `true` once it is cancelled, `false` when it
   * is running or over already.
   */
  cancel(): Promise<boolean>;
}

/** A job client's store and its end announcements, opened together on first use. */
export interface OpenedJobs {
  readonly store: JobStore;
  readonly announcements: JobAnnouncements;
}

/** What a handle needs: the opened store and announcements, and the reply's schema. */
export interface JobHandleContext {
  readonly nc: NatsConnection;
  readonly open: () => Promise<OpenedJobs>;
  readonly output: DescMessage;
  readonly registry: Registry | undefined;
}

// While waiting for a result, the record is read this often too, in case an announcement was lost.
const pollIntervalMs = 1_000;

/** The handle of job `id` of `method`. */
export function createJobHandle<Output extends DescMessage>(context: JobHandleContext, method: string, id: string): JobHandle<Output> {
  return {
    id,
    method,
    async status() {
      const stored = await (await context.open()).store.read(id);
      return stored === undefined ? undefined : statusOf(stored.record);
    },
    async result(options = {}) {
      return resultOf(await waitForEnd(context, id, options), context) as MessageShape<Output>;
    },
    async cancel() {
      const { store } = await context.open();
      for (let conflicts = 0; conflicts < 5; conflicts += 1) {
        const stored = await store.read(id);
        if (stored === undefined || (stored.record.state !== JobState.Queued && stored.record.state !== JobState.Retrying)) {
          return false;
        }
        const cancelled = await store.update({ ...stored.record, state: JobState.Cancelled, finishedAt: new Date().toISOString() }, stored.revision);
        if (cancelled !== undefined) {
          context.nc.publish(store.names.doneSubject(id));
          return true;
        }
      }
      return false;
    },
  };
}

/**
 * Waits until job `id` is over and resolves with its record; rejects with `deadline_exceeded` when
 * `timeoutMs` runs out first, `not_found` when there is no such job.
 */
export async function waitForEnd(context: JobHandleContext, id: string, options: JobResultOptions): Promise<JobRecord> {
  const { store, announcements } = await context.open();
  // Listened for before the first read (the subscription is in place), so that an end between the
  // two is not missed; a job this client has just enqueued needs no first read at all.
  const justEnqueued = announcements.listen(id);
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  const timedOut = (state: string) => new RpcError(`job ${id} did not finish within ${options.timeoutMs} ms (it is ${state})`, Code.DeadlineExceeded);
  try {
    let read = !justEnqueued;
    let state: string = JobState.Queued;
    for (;;) {
      if (read) {
        const stored = await store.read(id);
        if (stored === undefined) {
          throw new RpcError(`no job ${id} (or its record has expired)`, Code.NotFound);
        }
        if (isFinished(stored.record.state)) {
          return stored.record;
        }
        state = stored.record.state;
      }
      const left = deadline === undefined ? pollIntervalMs : deadline - Date.now();
      if (left <= 0) {
        throw timedOut(state);
      }
      const heard = await announcements.next(id, Math.min(left, pollIntervalMs), options.signal);
      if (typeof heard === "object") {
        return heard;
      }
      // An announcement without the record (too large to carry), or a second gone by: read it.
      read = true;
    }
  } finally {
    announcements.forget(id);
  }
}

/** A stored record as its status. */
export function statusOf(record: JobRecord): JobStatus {
  const date = (value: string | undefined) => (value === undefined ? undefined : new Date(value));
  return {
    id: record.id,
    method: record.method,
    state: record.state,
    attempt: record.attempt,
    attempts: record.attempts,
    enqueuedAt: new Date(record.enqueuedAt),
    notBefore: date(record.notBefore),
    startedAt: date(record.startedAt),
    nextAttemptAt: date(record.nextAttemptAt),
    finishedAt: date(record.finishedAt),
    progress: record.progress,
    error: record.error === undefined ? undefined : rpcErrorOf(record.error),
    worker: record.worker,
  };
}

/** The reply of a finished job, or the error it ended with. */
export function resultOf(record: JobRecord, context: JobHandleContext): MessageShape<DescMessage> {
  switch (record.state) {
    case JobState.Completed:
      return decodeMessage(context.output, new Uint8Array(Buffer.from(record.result ?? "", "base64")), record.encoding, context.registry);
    case JobState.Cancelled:
      throw new RpcError(`job ${record.id} was cancelled`, Code.Canceled);
    default:
      throw record.error === undefined ? new RpcError(`job ${record.id} is ${record.state}`, Code.Unknown) : rpcErrorOf(record.error);
  }
}
