import { Code } from "../protocol/code.js";
import { encodingFromContentType } from "../protocol/codec.js";
import { setErrorHeaders } from "../protocol/error-headers.js";
import { HeaderName } from "../protocol/header-name.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { HostEndpoint } from "../host/host-endpoint.js";
import { invokeUnary } from "../host/invoke-unary.js";
import { jobBackoffMs } from "../service/job-policy.js";
import type { JobContext } from "../service/job-context.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { natsHeader, toNatsHeaders, toFetchHeaders } from "../transport/nats/message-headers.js";
import type { JsMsg } from "../transport/nats/jetstream-client.js";
import type { LeaseRenewer } from "../transport/nats/jetstream-lease-renewer.js";
import type { JobOutcome } from "./job-counters.js";
import { isJobId } from "./job-names.js";
import { encodeJobRecord, isFinished, jobErrorOf, JobState, type JobRecord } from "./job-record.js";
import { JobRequest } from "./job-request.js";
import type { JobStore, StoredJob } from "./job-store.js";

/** What every job a worker runs shares. */
export interface JobWorker {
  readonly nc: NatsConnection;
  readonly store: JobStore;
  /** The host's instance id, stored as the worker of each attempt. */
  readonly hostId: string;
  /** The consumer's ack wait: a job whose worker stops renewing it is delivered again after it. */
  readonly leaseMs: number;
  /** Renews the leases of the jobs being run. */
  readonly leases: LeaseRenewer;
  /** Aborted when a stopping worker gives up waiting for its running jobs: aborts their signals. */
  readonly stopSignal: AbortSignal;
  /** Told of each delivery as it starts. */
  started(endpoint: HostEndpoint): void;
  /** Told of each delivery's end, with its outcome when it had one, for the counters, the metrics and the logs. */
  finished(endpoint: HostEndpoint, outcome: JobOutcome | undefined, startedAt: number, error: RpcError | undefined): void;
}

// The most compare-and-set conflicts one step tolerates before it leaves the job to a later delivery.
const maxConflicts = 5;

/**
 * Runs one delivery of a job message to its end (docs/jobs.md): reads the job's record, drops a
 * stale or finished copy, waits out `notBefore` and back-offs, dead-letters a job whose worker
 * stopped during its last attempt, else runs an attempt through the host's one call path and
 * stores what came of it before the message is acknowledged. Never throws: what it cannot do now
 * is left for the message's next delivery.
 */
export async function runJob(worker: JobWorker, endpoint: HostEndpoint, msg: JsMsg): Promise<void> {
  const startedAt = Date.now();
  worker.started(endpoint);
  // Held while the job waits for its record as much as while it runs.
  const release = worker.leases.hold(msg);
  let delivered: Delivered | undefined;
  try {
    delivered = await deliver(worker, endpoint, msg);
  } catch {
    // The store could not be reached (a lost server, say): the message comes back after its lease.
    msg.nak(worker.leaseMs);
  } finally {
    release();
    worker.finished(endpoint, delivered?.outcome, startedAt, delivered?.error);
  }
  // Counted before announced, so that whoever the end wakes finds it in the stats.
  if (delivered?.ended !== undefined) {
    announce(worker, delivered.ended, delivered.endRecord);
  }
}

/** What became of a delivery: its outcome, when it had one, the id of the job it ended and the end stored. */
interface Delivered {
  readonly outcome: JobOutcome | undefined;
  readonly error: RpcError | undefined;
  readonly ended?: string;
  readonly endRecord?: JobRecord | undefined;
}

async function deliver(worker: JobWorker, endpoint: HostEndpoint, msg: JsMsg): Promise<Delivered> {
  const id = natsHeader(msg.headers, HeaderName.JobId);
  const run = natsHeader(msg.headers, HeaderName.JobRun);
  if (!isJobId(id) || run === "") {
    const reason = `message ${msg.seq} has no valid ${HeaderName.JobId} and ${HeaderName.JobRun} headers`;
    await deadLetter(worker, endpoint, msg, `seq-${msg.seq}`, reason, 0, undefined);
    msg.ack();
    return { outcome: "dead", error: new RpcError(reason, Code.InvalidArgument) };
  }
  const fresh = await startFreshJob(worker, endpoint, msg, id, run);
  if (fresh !== undefined) {
    return runAttempt(worker, endpoint, msg, fresh);
  }
  for (let conflicts = 0; conflicts < maxConflicts; conflicts += 1) {
    const stored = (await worker.store.read(id)) ?? (await worker.store.create(recordFromMessage(endpoint, msg, id, run)));
    if (stored === undefined) {
      continue; // the enqueuer's record landed meanwhile
    }
    const { record } = stored;
    if (record.run !== run || isFinished(record.state) || (record.state === JobState.Active && record.sequence !== undefined && record.sequence !== msg.seq)) {
      // A duplicate enqueue, a copy a dead-letter retry replaced, a job whose ack was lost, or a
      // second message of the run that another message's attempt runs.
      msg.ack();
      return { outcome: undefined, error: undefined };
    }
    const waitMs = waitBeforeAttempt(record, Date.now());
    if (waitMs > 0) {
      msg.nak(waitMs);
      return { outcome: undefined, error: undefined };
    }
    if (record.state === JobState.Active && record.attempt >= record.attempts) {
      // The worker of the last attempt stopped (killed, or cut off) before it could say how it ended.
      const reason = `its worker stopped during each of its ${record.attempts} attempts`;
      const error = new RpcError(`job ${id} was not finished: ${reason}`, Code.Aborted);
      await deadLetter(worker, endpoint, msg, id, reason, record.attempt, error);
      const dead = await finish(worker, stored, { state: JobState.Dead, error: jobErrorOf(error) }, endpoint);
      msg.ack();
      return { outcome: dead ? "dead" : "lost", error, ended: id, endRecord: dead };
    }
    const attempt = record.attempt + 1;
    const active = await worker.store.update(
      { ...withoutRetryFields(record), state: JobState.Active, attempt, startedAt: new Date().toISOString(), worker: worker.hostId, sequence: msg.seq },
      stored.revision,
    );
    if (active !== undefined) {
      return runAttempt(worker, endpoint, msg, active);
    }
  }
  msg.nak(1_000);
  return { outcome: undefined, error: undefined };
}

/**
 * The first delivery of a job as its enqueuer left it starts with one write and no read: the
 * message carries the revision of the record the enqueuer stored, and the record is what the
 * message says. Anything else (a redelivery, a changed record, a job to wait for) returns
 * `undefined`, for the full path to read the record.
 */
async function startFreshJob(worker: JobWorker, endpoint: HostEndpoint, msg: JsMsg, id: string, run: string): Promise<StoredJob | undefined> {
  const revision = Number(natsHeader(msg.headers, HeaderName.JobRevision));
  if (msg.info.deliveryCount !== 1 || !Number.isSafeInteger(revision) || revision <= 0) {
    return undefined;
  }
  const queued = recordFromMessage(endpoint, msg, id, run);
  if (waitBeforeAttempt(queued, Date.now()) > 0) {
    return undefined;
  }
  const active: JobRecord = { ...queued, state: JobState.Active, attempt: 1, startedAt: new Date().toISOString(), worker: worker.hostId, sequence: msg.seq };
  return worker.store.update(active, revision);
}

// Runs one attempt and stores its end: the result, a retry after its back-off, or the dead-letter stream.
async function runAttempt(worker: JobWorker, endpoint: HostEndpoint, msg: JsMsg, started: StoredJob): Promise<Delivered> {
  const { record } = started;
  const policy = endpoint.definition.job;
  let current = started;
  let progressWrites = Promise.resolve();
  const job: JobContext = {
    id: record.id,
    attempt: record.attempt,
    attempts: record.attempts,
    heartbeat: () => msg.working(),
    progress(value) {
      msg.working();
      // One write at a time, each on the revision the one before made.
      progressWrites = progressWrites.then(async () => {
        const written = await worker.store.update({ ...current.record, progress: value }, current.revision).catch(() => undefined);
        current = written ?? current;
      });
      return progressWrites;
    },
  };
  const request = new JobRequest(msg, policy.attemptTimeoutMs, worker.stopSignal, job);
  try {
    await invokeUnary(endpoint, request);
    await progressWrites;
  } finally {
    request.end();
  }
  const { reply } = request;
  if (worker.stopSignal.aborted && (reply === undefined || reply.error !== undefined)) {
    // Stopped, not failed: the attempt is given back to the queue and not counted.
    const back = await worker.store.update({ ...current.record, state: record.attempt > 1 ? JobState.Retrying : JobState.Queued, attempt: record.attempt - 1 }, current.revision);
    msg.nak();
    return { outcome: back === undefined ? "lost" : "given_back", error: undefined };
  }
  if (reply !== undefined && reply.error === undefined) {
    const headers = [...(reply.header ?? [])].filter(([name]) => name !== "content-type");
    const done = await finish(
      worker,
      current,
      {
        state: JobState.Completed,
        result: Buffer.from(reply.payload).toString("base64"),
        ...(headers.length === 0 ? {} : { resultHeaders: headers }),
        expiresAt: expiry(policy.retentionMs),
      },
      endpoint,
    );
    msg.ack();
    return { outcome: done ? "completed" : "lost", error: undefined, ended: record.id, endRecord: done };
  }
  const error = reply?.error ?? new RpcError(`attempt ${record.attempt} of job ${record.id} ran out of its ${policy.attemptTimeoutMs} ms`, Code.DeadlineExceeded);
  if (!policy.nonRetryableCodes.includes(error.code) && record.attempt < record.attempts) {
    const delayMs = jobBackoffMs(policy, record.attempt);
    const retrying = await worker.store.update(
      { ...current.record, state: JobState.Retrying, error: jobErrorOf(error), nextAttemptAt: new Date(Date.now() + delayMs).toISOString() },
      current.revision,
    );
    msg.nak(delayMs);
    return { outcome: retrying === undefined ? "lost" : "retried", error };
  }
  const reason = policy.nonRetryableCodes.includes(error.code) ? `its handler failed with ${error.code}, which is not retried` : `all ${record.attempts} attempts failed`;
  await deadLetter(worker, endpoint, msg, record.id, reason, record.attempt, error);
  const failed = await finish(worker, current, { state: JobState.Failed, error: jobErrorOf(error), expiresAt: expiry(policy.retentionMs) }, endpoint);
  msg.ack();
  return { outcome: failed ? "failed" : "lost", error, ended: record.id, endRecord: failed };
}

/**
 * Stores the end of a job over its record, compare-and-set: again on the newest revision when
 * another write came first, unless that one finished the job or belongs to another run. Returns
 * the record stored, `undefined` when this end is not the one stored.
 */
async function finish(worker: JobWorker, stored: StoredJob, end: Partial<JobRecord> & { state: JobState }, endpoint: HostEndpoint): Promise<JobRecord | undefined> {
  let current: StoredJob | undefined = stored;
  for (let conflicts = 0; conflicts < maxConflicts && current !== undefined; conflicts += 1) {
    if (current.record.run !== stored.record.run || isFinished(current.record.state)) {
      return undefined;
    }
    const record: JobRecord = {
      ...withoutRetryFields(current.record),
      ...end,
      finishedAt: new Date().toISOString(),
      expiresAt: end.expiresAt ?? expiry(endpoint.definition.job.retentionMs),
    };
    if ((await worker.store.update(record, current.revision)) !== undefined) {
      return record;
    }
    current = await worker.store.read(stored.record.id);
  }
  return undefined;
}

/**
 * Keeps a job that cannot end well in the dead-letter stream, under its own subject: its request
 * and headers as enqueued, the attempts it had, why, and the last error in the ADR-32 error
 * headers. Deduplicated by run, so that a worker that stops after it and before the ack does not
 * keep it twice.
 */
async function deadLetter(worker: JobWorker, endpoint: HostEndpoint, msg: JsMsg, id: string, reason: string, attempts: number, error: RpcError | undefined): Promise<void> {
  const headers = toFetchHeaders(msg.headers);
  headers.set(HeaderName.JobId, id);
  headers.set(HeaderName.JobAttempts, String(attempts));
  headers.set(HeaderName.JobReason, reason);
  if (error !== undefined) {
    setErrorHeaders(headers, error);
  }
  const run = natsHeader(msg.headers, HeaderName.JobRun);
  await worker.store.js.publish(worker.store.names.deadSubject(endpoint.definition.name, id), msg.data, {
    headers: toNatsHeaders(headers),
    msgID: `${id}.${run === "" ? msg.seq : run}.dead`,
  });
}

// Tells whoever waits for the job's result (`result()`) that it is over: with the ended record
// when it fits in a message, so that the waiter need not read it.
function announce(worker: JobWorker, id: string, record: JobRecord | undefined): void {
  let payload = record === undefined ? undefined : encodeJobRecord(record);
  if (payload !== undefined && payload.length > (worker.nc.info?.max_payload ?? 0) - maxAnnouncementOverhead) {
    payload = undefined;
  }
  try {
    worker.nc.publish(worker.store.names.doneSubject(id), payload);
  } catch {
    // A closed connection: waiters read the record on their own, every second.
  }
}

// Room left in an announcement for its subject and protocol line.
const maxAnnouncementOverhead = 1_024;

/** How long a job must still wait before an attempt may start: its `notBefore`, or its back-off. */
function waitBeforeAttempt(record: JobRecord, now: number): number {
  const notBefore = record.notBefore === undefined ? 0 : Date.parse(record.notBefore) - now;
  // A retry delivered early (its lease ran out, say) waits for the rest of its back-off; a little
  // early is close enough.
  const backoff = record.state === JobState.Retrying && record.nextAttemptAt !== undefined ? Date.parse(record.nextAttemptAt) - now : 0;
  const wait = Math.max(notBefore, backoff);
  return wait > 20 ? wait : 0;
}

// The record of a job whose message came before its enqueuer's record: made from the message.
function recordFromMessage(endpoint: HostEndpoint, msg: JsMsg, id: string, run: string): JobRecord {
  const notBefore = natsHeader(msg.headers, HeaderName.JobNotBefore);
  const maxAttempts = Number.parseInt(natsHeader(msg.headers, HeaderName.JobMaxAttempts), 10);
  let encoding: JobRecord["encoding"] = "binary";
  try {
    encoding = encodingFromContentType(natsHeader(msg.headers, HeaderName.ContentType));
  } catch {
    // The call path answers the bad content type with invalid_argument when the attempt runs.
  }
  return {
    id,
    method: endpoint.definition.name,
    state: JobState.Queued,
    run,
    attempt: 0,
    attempts: Number.isSafeInteger(maxAttempts) && maxAttempts > 0 ? maxAttempts : endpoint.definition.job.attempts,
    encoding,
    enqueuedAt: new Date(msg.timestamp).toISOString(),
    ...(notBefore === "" || Number.isNaN(Date.parse(notBefore)) ? {} : { notBefore }),
  };
}

function withoutRetryFields(record: JobRecord): JobRecord {
  const { nextAttemptAt: _nextAttemptAt, ...rest } = record;
  return rest;
}

function expiry(retentionMs: number): string {
  return new Date(Date.now() + retentionMs).toISOString();
}
