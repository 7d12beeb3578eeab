import type { Duration } from "@bufbuild/protobuf/wkt";
import { Code, isCode } from "../protocol/code.js";
import type { JobPolicy as JobPolicyOption } from "../gen/nats/micro/v1/options_pb.js";
import { maxTimeoutMs } from "../protocol/timeout-header.js";

/**
 * How a method runs as a durable job (docs/jobs.md): how often it is tried, how long it waits
 * between attempts, how long an attempt may take, which errors end it at once, and how long its
 * state and result are kept. From the `job` proto options of the method and the service, then code.
 */
export interface JobPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Wait before the second attempt, in milliseconds. */
  readonly backoffInitialMs: number;
  /** The longest wait between attempts, in milliseconds. */
  readonly backoffMaxMs: number;
  /** Growth of the wait from one attempt to the next. */
  readonly backoffMultiplier: number;
  /** Time of one attempt, in milliseconds. */
  readonly attemptTimeoutMs: number;
  /** Codes that end the job at once, without another attempt. */
  readonly nonRetryableCodes: readonly Code[];
  /** How long a finished job's state and result are kept, in milliseconds. */
  readonly retentionMs: number;
  /** The most attempts of the method running at once over all workers; `undefined` for no limit. */
  readonly maxRunning: number | undefined;
}

/** What a {@link JobPolicy} is unless the proto options or the code say otherwise. */
export const defaultJobPolicy: JobPolicy = {
  attempts: 5,
  backoffInitialMs: 1_000,
  backoffMaxMs: 5 * 60_000,
  backoffMultiplier: 2,
  attemptTimeoutMs: 5 * 60_000,
  // Errors that say the request itself is wrong: another attempt would fail the same way.
  nonRetryableCodes: [
    Code.InvalidArgument,
    Code.NotFound,
    Code.AlreadyExists,
    Code.PermissionDenied,
    Code.FailedPrecondition,
    Code.OutOfRange,
    Code.Unimplemented,
    Code.Unauthenticated,
  ],
  retentionMs: 24 * 60 * 60_000,
  maxRunning: undefined,
};

/** The most attempts a policy may ask for. */
export const maxJobAttempts = 100;

/** The longest wait, attempt time or retention a policy may ask for: a year, in milliseconds. */
const maxDurationMs = 365 * 24 * 60 * 60_000;

/**
 * The retry fields of a `job` proto option, which a pipeline `stop` option shares (its retention
 * and concurrency fields are the job's own).
 */
export type RetryOption = Pick<JobPolicyOption, "attempts" | "backoffInitial" | "backoffMax" | "backoffMultiplier" | "attemptTimeout" | "nonRetryableCodes"> &
  Partial<Pick<JobPolicyOption, "retention" | "maxRunning">>;

/**
 * A policy from a `job` proto option over `fallback` (the service's policy for a method's option,
 * the defaults for a service's). Broken values are reported, one line each, and replaced by the
 * fallback's. `field` names the option in the reports: `job`, or `stop` for a pipeline stop's
 * retries, which follow the same rules.
 */
export function jobPolicyOf(option: RetryOption | undefined, fallback: JobPolicy, report: (problem: string) => void, field = "job"): JobPolicy {
  if (option === undefined) {
    return fallback;
  }
  const duration = (name: string, value: Duration | undefined, otherwise: number, limits: { allowZero: boolean; maxMs: number }) => {
    if (value === undefined) {
      return otherwise;
    }
    const milliseconds = Math.ceil(Number(value.seconds) * 1000 + value.nanos / 1_000_000);
    if (milliseconds < (limits.allowZero ? 0 : 1) || value.nanos < 0 || milliseconds > limits.maxMs) {
      report(`${field}.${name} must be ${limits.allowZero ? "zero or more" : "positive"} and at most ${limits.maxMs} ms, got ${value.seconds}s ${value.nanos}ns`);
      return otherwise;
    }
    return milliseconds;
  };
  const attempts = option.attempts === 0 ? fallback.attempts : option.attempts;
  if (attempts > maxJobAttempts) {
    report(`${field}.attempts must be 1 to ${maxJobAttempts}, got ${attempts}`);
  }
  const multiplier = option.backoffMultiplier === 0 ? fallback.backoffMultiplier : option.backoffMultiplier;
  if (!(multiplier >= 1 && multiplier <= 10)) {
    report(`${field}.backoff_multiplier must be 1 to 10, got ${multiplier}`);
  }
  const codes = option.nonRetryableCodes.length === 0 ? fallback.nonRetryableCodes : option.nonRetryableCodes;
  const unknownCodes = codes.filter((code) => !isCode(code));
  if (unknownCodes.length > 0) {
    report(`${field}.non_retryable_codes: unknown code ${unknownCodes.map((code) => `"${code}"`).join(", ")} (codes are snake_case, such as "invalid_argument")`);
  }
  const backoffInitialMs = duration("backoff_initial", option.backoffInitial, fallback.backoffInitialMs, { allowZero: true, maxMs: maxDurationMs });
  const backoffMaxMs = duration("backoff_max", option.backoffMax, Math.max(fallback.backoffMaxMs, backoffInitialMs), { allowZero: true, maxMs: maxDurationMs });
  if (backoffMaxMs < backoffInitialMs) {
    report(`${field}.backoff_max (${backoffMaxMs} ms) must not be shorter than ${field}.backoff_initial (${backoffInitialMs} ms)`);
  }
  return {
    attempts: attempts > maxJobAttempts ? fallback.attempts : attempts,
    backoffInitialMs,
    backoffMaxMs: Math.max(backoffMaxMs, backoffInitialMs),
    backoffMultiplier: multiplier >= 1 && multiplier <= 10 ? multiplier : fallback.backoffMultiplier,
    // What a timer can wait, as for call timeouts.
    attemptTimeoutMs: duration("attempt_timeout", option.attemptTimeout, fallback.attemptTimeoutMs, { allowZero: false, maxMs: maxTimeoutMs }),
    nonRetryableCodes: codes.filter(isCode),
    retentionMs: duration("retention", option.retention, fallback.retentionMs, { allowZero: false, maxMs: maxDurationMs }),
    maxRunning: option.maxRunning === undefined || option.maxRunning === 0 ? fallback.maxRunning : option.maxRunning,
  };
}

/**
 * The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed: exponential from
 * the initial back-off, capped, with "full jitter" over its upper half so that jobs that failed
 * together do not all come back together. `random` is in [0, 1).
 */
export function jobBackoffMs(policy: Pick<JobPolicy, "backoffInitialMs" | "backoffMaxMs" | "backoffMultiplier">, attempt: number, random: number = Math.random()): number {
  const exponential = policy.backoffInitialMs * policy.backoffMultiplier ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.backoffMaxMs, exponential);
  return Math.round(capped / 2 + (capped / 2) * random);
}
