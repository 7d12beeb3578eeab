import { isCode } from "../protocol/code.js";
import type { Encoding } from "../protocol/codec.js";
import { RpcError } from "../protocol/rpc-error.js";

/** Where a job is in its life (docs/jobs.md). */
export const JobState = {
  /** Waiting in the work queue for a free worker (or for its `notBefore`). */
  Queued: "queued",
  /** An attempt is running. */
  Active: "active",
  /** An attempt failed; the next one waits for its back-off. */
  Retrying: "retrying",
  /** Done: the result is stored. */
  Completed: "completed",
  /** Ended with an error (a code that is not retried, or the last attempt); kept in the dead-letter stream. */
  Failed: "failed",
  /** Could not run: its worker stopped during every attempt, or its message is unreadable; kept in the dead-letter stream. */
  Dead: "dead",
  /** Cancelled while it waited. */
  Cancelled: "cancelled",
} as const;

/** One of the values of {@link JobState}. */
export type JobState = (typeof JobState)[keyof typeof JobState];

const finishedStates: ReadonlySet<string> = new Set([JobState.Completed, JobState.Failed, JobState.Dead, JobState.Cancelled]);

/** Whether a job in this state is over: it will not run again unless retried from the dead-letter stream. */
export function isFinished(state: JobState): boolean {
  return finishedStates.has(state);
}

/** The error an attempt ended with, as stored. */
export interface JobError {
  readonly code: string;
  readonly message: string;
  /** The error's details (`google.protobuf.Any`s: type name and base64 value). */
  readonly details?: readonly { type: string; value: string }[];
}

/**
 * The stored state of a job: one JSON value in the service's jobs key-value bucket, under the
 * job's id. Written by the enqueuer, then by the workers, always compare-and-set.
 */
export interface JobRecord {
  readonly id: string;
  /** The method (ADR-32 endpoint name). */
  readonly method: string;
  readonly state: JobState;
  /**
   * Which enqueue of the id this record belongs to: a message of another run (a duplicate
   * enqueue, a copy retried from the dead-letter stream) is dropped by the worker.
   */
  readonly run: string;
  /** Attempts started. */
  readonly attempt: number;
  /** Attempts allowed in all. */
  readonly attempts: number;
  /** Encoding of the request and of the result. */
  readonly encoding: Encoding;
  readonly enqueuedAt: string;
  /** No attempt starts before this time. */
  readonly notBefore?: string;
  /** When the current or last attempt started. */
  readonly startedAt?: string;
  /** When the next attempt may start, while retrying. */
  readonly nextAttemptAt?: string;
  readonly finishedAt?: string;
  /**
   * The stream sequence of the message the current or last attempt came from: another message of
   * the same run (a second publish of one enqueue) is dropped, never run beside it.
   */
  readonly sequence?: number;
  /** The instance id of the worker that runs or ran the last attempt. */
  readonly worker?: string;
  /** What the handler last reported with `progress()`. */
  readonly progress?: number;
  /** The error of the last failed attempt. */
  readonly error?: JobError;
  /** The reply of a completed job, in `encoding`, base64. */
  readonly result?: string;
  /** The headers the handler set on its reply (`context.responseHeader`), as name and value pairs. */
  readonly resultHeaders?: readonly (readonly [string, string])[];
  /** After this time the record is treated as gone, though the bucket may keep it a little longer. */
  readonly expiresAt?: string;
}

/** The record as stored: UTF-8 JSON. */
export function encodeJobRecord(record: JobRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

/** A stored record, or `undefined` when the value is none (unreadable, or past its `expiresAt`). */
export function decodeJobRecord(value: Uint8Array, now = Date.now()): JobRecord | undefined {
  if (value.length === 0) {
    return undefined;
  }
  try {
    const record = JSON.parse(new TextDecoder().decode(value)) as JobRecord;
    if (typeof record.id !== "string" || typeof record.state !== "string") {
      return undefined;
    }
    return record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now ? undefined : record;
  } catch {
    return undefined;
  }
}

/** The error to store for one that ended an attempt. */
export function jobErrorOf(error: RpcError): JobError {
  return {
    code: error.code,
    message: error.rawMessage,
    ...(error.details.length === 0 ? {} : { details: error.details.map((detail) => ({ type: detail.type, value: Buffer.from(detail.value).toString("base64") })) }),
  };
}

/** The `RpcError` a stored error stands for, as `result()` rejects with it. */
export function rpcErrorOf(error: JobError): RpcError {
  return new RpcError(error.message, isCode(error.code) ? error.code : "unknown", {
    details: (error.details ?? []).map((detail) => ({ type: detail.type, value: new Uint8Array(Buffer.from(detail.value, "base64")) })),
  });
}
