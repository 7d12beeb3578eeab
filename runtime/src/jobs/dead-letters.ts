import { Code } from "../protocol/code.js";
import { errorFromHeaders } from "../protocol/error-headers.js";
import { HeaderName } from "../protocol/header-name.js";
import { RpcError } from "../protocol/rpc-error.js";
import { nuid } from "../transport/nats/nats-client.js";
import { natsHeader, toFetchHeaders, toNatsHeaders } from "../transport/nats/message-headers.js";
import { JobState } from "./job-record.js";
import type { JobStore } from "./job-store.js";

/** A job kept in the dead-letter stream: its request as enqueued, and why it is there. */
export interface DeadLetter {
  readonly id: string;
  /** The method (ADR-32 endpoint name). */
  readonly method: string;
  /** When it was dead-lettered. */
  readonly time: Date;
  /** Why, in words. */
  readonly reason: string;
  /** The attempts it had. */
  readonly attempts: number;
  /** The error of its last attempt, if one ran. */
  readonly error: RpcError | undefined;
  /** The request's headers as enqueued, and the dead letter's own. */
  readonly headers: Headers;
  /** The request as enqueued, in the encoding its content type says. */
  readonly payload: Uint8Array;
}

// Dead-letter headers that a retried job must not carry back to the work queue.
const letterOnlyHeaders = [HeaderName.JobRevision, HeaderName.JobAttempts, HeaderName.JobReason, HeaderName.ServiceError, HeaderName.ServiceErrorCode, HeaderName.RpcCode, "Nats-Msg-Id"];

/** The dead letters of a service, oldest first, at most `limit`. */
export async function listDeadLetters(store: JobStore, limit: number): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  const info = await store.jsm.streams.info(store.names.deadStream);
  if (info.state.messages === 0) {
    return letters;
  }
  const consumer = await store.js.consumers.get(store.names.deadStream);
  const messages = await consumer.fetch({ max_messages: Math.min(limit, info.state.messages), expires: 5_000 });
  for await (const msg of messages) {
    const headers = toFetchHeaders(msg.headers);
    const get = (name: string) => natsHeader(msg.headers, name);
    letters.push({
      id: get(HeaderName.JobId),
      method: msg.subject.split(".").at(-2) ?? "",
      time: new Date(msg.timestamp),
      reason: get(HeaderName.JobReason),
      attempts: Number.parseInt(get(HeaderName.JobAttempts), 10) || 0,
      error: errorFromHeaders(get, () => headers),
      headers,
      payload: msg.data,
    });
    if (msg.info.pending === 0) {
      break;
    }
  }
  await messages.close();
  return letters;
}

/**
 * Enqueues a dead-lettered job again under its id, with a new run and all its attempts: first the
 * record (so that the worker takes the new message as the job's), then the message, then the
 * letter is removed. Resolves with the method. A retry cut short can be made again: the letter
 * stays until the message is queued.
 */
export async function retryDeadLetter(store: JobStore, id: string, attemptsOf: (method: string) => number): Promise<string> {
  const stored = await store.read(id);
  if (stored === undefined) {
    throw new RpcError(`no job ${id} (or its record has expired)`, Code.NotFound);
  }
  const { record } = stored;
  const letter = await store.jsm.streams.getMessage(store.names.deadStream, { last_by_subj: store.names.deadSubject(record.method, id) }).catch(() => null);
  if (letter === null) {
    throw new RpcError(`job ${id} is ${record.state} and has no dead letter`, Code.FailedPrecondition);
  }
  if (record.state !== JobState.Failed && record.state !== JobState.Dead && record.state !== JobState.Queued) {
    throw new RpcError(`job ${id} is ${record.state}: only a failed or dead job can be retried`, Code.FailedPrecondition);
  }
  const run = nuid.next();
  const { error: _error, finishedAt: _finishedAt, expiresAt: _expiresAt, nextAttemptAt: _next, result: _result, progress: _progress, ...kept } = record;
  const queued = await store.update({ ...kept, state: JobState.Queued, run, attempt: 0, attempts: attemptsOf(record.method), enqueuedAt: new Date().toISOString() }, stored.revision);
  if (queued === undefined) {
    throw new RpcError(`job ${id} changed while it was being retried; try again`, Code.Aborted);
  }
  const headers = toFetchHeaders(letter.header);
  for (const name of letterOnlyHeaders) {
    headers.delete(name);
  }
  headers.set(HeaderName.JobRun, run);
  headers.set(HeaderName.JobRevision, String(queued.revision));
  headers.set(HeaderName.JobMaxAttempts, String(queued.record.attempts));
  await store.publishWork(record.method, letter.data, toNatsHeaders(headers), `${id}.${run}`);
  // Gone already when the retried job failed again at once: its new letter replaced this one.
  await store.jsm.streams.deleteMessage(store.names.deadStream, letter.seq, false).catch(() => undefined);
  return record.method;
}
