import type { Duration } from "@bufbuild/protobuf/wkt";
import { Code, isCode } from "../protocol/code.js";
import type { JobPolicy as JobPolicyOption } from "../gen/nats/micro/v1/options_pb.js";

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
 * The policy of a method from its proto option over its service's, over `fallback` (the defaults,
 * with the method's timeout as the attempt timeout). Broken values are reported, one line each,
 * and replaced by the fallback's.
 */
export function jobPolicyOf(
  methodOption: JobPolicyOption | undefined,
  serviceOption: JobPolicyOption | undefined,
  fallback: JobPolicy,
  report: (problem: string) => void,
): JobPolicy {
  const layers = [methodOption, serviceOption].filter((option): option is JobPolicyOption => option !== undefined);
  const pick = <T>(read: (option: JobPolicyOption) => T | undefined): T | undefined => {
    for (const option of layers) {
      const value = read(option);
      if (value !== undefined) {
        return value;
      }
    }
    return undefined;
  };
  const duration = (field: string, read: (option: JobPolicyOption) => Duration | undefined, otherwise: number, allowZero = false) => {
    const value = pick(read);
    if (value === undefined) {
      return otherwise;
    }
    const milliseconds = Math.ceil(Number(value.seconds) * 1000 + value.nanos / 1_000_000);
    if (milliseconds < (allowZero ? 0 : 1) || value.nanos < 0 || milliseconds > maxDurationMs) {
      report(`job.${field} must be ${allowZero ? "zero or more" : "positive"} and at most a year, got ${value.seconds}s ${value.nanos}ns`);
      return otherwise;
    }
    return milliseconds;
  };
  const attempts = pick((option) => (option.attempts === 0 ? undefined : option.attempts)) ?? fallback.attempts;
  if (attempts > maxJobAttempts) {
    report(`job.attempts must be 1 to ${maxJobAttempts}, got ${attempts}`);
  }
  const multiplier = pick((option) => (option.backoffMultiplier === 0 ? undefined : option.backoffMultiplier)) ?? fallback.backoffMultiplier;
  if (!(multiplier >= 1 && multiplier <= 10)) {
    report(`job.backoff_multiplier must be 1 to 10, got ${multiplier}`);
  }
  const codes = pick((option) => (option.nonRetryableCodes.length === 0 ? undefined : option.nonRetryableCodes)) ?? fallback.nonRetryableCodes;
  const unknownCodes = codes.filter((code) => !isCode(code));
  if (unknownCodes.length > 0) {
    report(`job.non_retryable_codes: unknown code ${unknownCodes.map((code) => `"${code}"`).join(", ")} (codes are snake_case, such as "invalid_argument")`);
  }
  const backoffInitialMs = duration("backoff_initial", (option) => option.backoffInitial, fallback.backoffInitialMs, true);
  const backoffMaxMs = duration("backoff_max", (option) => option.backoffMax, Math.max(fallback.backoffMaxMs, backoffInitialMs), true);
  if (backoffMaxMs < backoffInitialMs) {
    report(`job.backoff_max (${backoffMaxMs} ms) must not be shorter than job.backoff_initial (${backoffInitialMs} ms)`);
  }
  const maxRunning = pick((option) => (option.maxRunning === 0 ? undefined : option.maxRunning)) ?? fallback.maxRunning;
  return {
    attempts: attempts > maxJobAttempts ? fallback.attempts : attempts,
    backoffInitialMs,
    backoffMaxMs: Math.max(backoffMaxMs, backoffInitialMs),
    backoffMultiplier: multiplier >= 1 && multiplier <= 10 ? multiplier : fallback.backoffMultiplier,
    attemptTimeoutMs: duration("attempt_timeout", (option) => option.attemptTimeout, fallback.attemptTimeoutMs),
    nonRetryableCodes: codes.filter(isCode),
    retentionMs: duration("retention", (option) => option.retention, fallback.retentionMs),
    maxRunning,
  };
}

/**
 * The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed: exponential from
 * the initial back-off, capped, with "full jitter" over its upper half so that jobs that failed
 * together do not all come back together. `random` is in [0, 1).
 */
export function jobBackoffMs(policy: JobPolicy, attempt: number, random: number = Math.random()): number {
  const exponential = policy.backoffInitialMs * policy.backoffMultiplier ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.backoffMaxMs, exponential);
  return Math.round(capped / 2 + (capped / 2) * random);
}
