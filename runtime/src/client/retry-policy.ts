import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, isCode } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";

/**
 * When and how a client retries a failed call, modelled on gRPC's `retryPolicy` service config.
 * A client retries only when it has a policy (the `retry` client option); without one, as in gRPC
 * without a service config and in Connect, every call is made once.
 *
 * Only methods that are safe to repeat are retried: those whose proto declares
 * `option idempotency_level = NO_SIDE_EFFECTS;` or `IDEMPOTENT;`, unless
 * {@link RetryPolicy.retryNonIdempotent} opts the others in. A call is retried when an attempt
 * fails with one of {@link RetryPolicy.retryableCodes}, never after its deadline: every attempt
 * gets the time that is left of the call's timeout, and a back-off that would end past the
 * deadline is not started.
 *
 * Between attempts the client waits a back-off drawn at random (see {@link RetryPolicy.jitter})
 * below `min(initialBackoffMs * multiplier^(retry - 1), maxBackoffMs)`.
 *
 * @example
 * // Up to 5 attempts, 50 ms, 100 ms, 200 ms, 400 ms apart at most, for methods marked idempotent.
 * const calc = new CalcClient(nc, { retry: { maxAttempts: 5, initialBackoffMs: 50 } });
 */
export interface RetryPolicy {
  /** Attempts in all, the first one included: 3 (the default) means up to two retries. 1 turns retries off. */
  maxAttempts?: number;
  /** Upper bound of the back-off before the first retry, in milliseconds; 100 by default. */
  initialBackoffMs?: number;
  /** The largest back-off, in milliseconds; 2,000 by default. */
  maxBackoffMs?: number;
  /** What each back-off bound is multiplied by for the next retry; 2 by default. */
  multiplier?: number;
  /**
   * The part of each back-off that is random, from 0 to 1: the client waits between
   * `bound * (1 - jitter)` and `bound`. 1 (the default) is gRPC's "full jitter", which spreads
   * the retries of many clients best; 0 waits exactly the bound.
   */
  jitter?: number;
  /**
   * The codes that are retried; `["unavailable"]` by default: no instance was listening, or the
   * connection was lost. `deadline_exceeded` is never retried, since the call's time is up.
   */
  retryableCodes?: readonly Code[];
  /**
   * Also retry methods that do not declare themselves idempotent. Off by default: a call that
   * failed may still have run on a host, and running such a method twice may do harm twice.
   */
  retryNonIdempotent?: boolean;
}

/** The values a {@link RetryPolicy} takes for the fields it leaves out. */
export const defaultRetryPolicy: Readonly<Required<RetryPolicy>> = {
  maxAttempts: 3,
  initialBackoffMs: 100,
  maxBackoffMs: 2_000,
  multiplier: 2,
  jitter: 1,
  retryableCodes: [Code.Unavailable],
  retryNonIdempotent: false,
};

/** A retry policy with every field set and checked. */
export type ResolvedRetryPolicy = Readonly<Required<RetryPolicy>> & { readonly retryable: ReadonlySet<Code> };

/**
 * Fills in the defaults of a policy and checks it. Throws an `Error` naming every field that is
 * out of range, so that a wrong policy fails when the client is created, not on the first failure.
 */
export function resolveRetryPolicy(policy: RetryPolicy): ResolvedRetryPolicy {
  const resolved = { ...defaultRetryPolicy, ...withoutUndefined(policy) };
  const problems: string[] = [];
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    problems.push(`maxAttempts must be a whole number of at least 1, got ${resolved.maxAttempts}`);
  }
  for (const field of ["initialBackoffMs", "maxBackoffMs"] as const) {
    if (!Number.isFinite(resolved[field]) || resolved[field] < 0) {
      problems.push(`${field} must be a number of milliseconds of at least 0, got ${resolved[field]}`);
    }
  }
  if (!Number.isFinite(resolved.multiplier) || resolved.multiplier < 1) {
    problems.push(`multiplier must be a number of at least 1, got ${resolved.multiplier}`);
  }
  if (!Number.isFinite(resolved.jitter) || resolved.jitter < 0 || resolved.jitter > 1) {
    problems.push(`jitter must be a number from 0 to 1, got ${resolved.jitter}`);
  }
  for (const code of resolved.retryableCodes) {
    if (!isCode(code)) {
      problems.push(`retryableCodes: "${String(code)}" is not a code`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`invalid retry policy: ${problems.join("; ")}`);
  }
  return { ...resolved, retryable: new Set(resolved.retryableCodes) };
}

/**
 * Whether a policy lets a method be retried: it declares `idempotency_level` `NO_SIDE_EFFECTS` or
 * `IDEMPOTENT` in its proto, or the policy opts every method in.
 */
export function mayRetryMethod(method: DescMethod, policy: ResolvedRetryPolicy): boolean {
  if (policy.maxAttempts < 2) {
    return false;
  }
  return (
    policy.retryNonIdempotent ||
    method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ||
    method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT
  );
}

/** What {@link callWithRetry} needs of the call around the attempts. */
export interface RetryContext {
  /** The call's whole timeout, in milliseconds: the attempts and back-offs together never exceed it. */
  readonly timeoutMs: number;
  /** The caller's signal: a back-off ends at once, with `canceled`, when it aborts. */
  readonly signal?: AbortSignal | undefined;
  /** Whether retrying is pointless because the connection is closed for good. */
  readonly isClosed: () => boolean;
  /** Told before each retry (not before the first attempt): for metrics. */
  readonly onRetry?: (() => void) | undefined;
}

/**
 * Makes a call with up to `policy.maxAttempts` attempts. `attempt` makes one attempt with the
 * time that is left, in whole milliseconds. The first attempt gets the call's whole timeout, so
 * a call that succeeds at once, or fails with a code that is not retried, is exactly one attempt.
 * When the attempts are used up, the time is up or the connection is closed, the last attempt's
 * error is thrown, noting how many attempts were made.
 */
export async function callWithRetry<T>(
  attempt: (timeoutMs: number) => Promise<T>,
  policy: ResolvedRetryPolicy,
  context: RetryContext,
): Promise<T> {
  const deadline = performance.now() + context.timeoutMs;
  let backoffBoundMs = policy.initialBackoffMs;
  for (let attempts = 1; ; attempts += 1) {
    const timeoutMs = attempts === 1 ? context.timeoutMs : Math.floor(deadline - performance.now());
    try {
      return await attempt(timeoutMs);
    } catch (reason) {
      if (!(reason instanceof RpcError) || !policy.retryable.has(reason.code) || attempts >= policy.maxAttempts || context.isClosed()) {
        throw attempts === 1 ? reason : afterAttempts(reason, attempts);
      }
      const backoffMs = backoffBoundMs * (1 - policy.jitter * Math.random());
      // A retry needs time after its back-off; one that could not start in time is not made.
      if (performance.now() + backoffMs + 1 >= deadline) {
        throw afterAttempts(reason, attempts);
      }
      await sleep(backoffMs, context.signal);
      backoffBoundMs = Math.min(backoffBoundMs * policy.multiplier, policy.maxBackoffMs);
      context.onRetry?.();
    }
  }
}

// The last attempt's error, saying how many attempts it took; anything else as it is.
function afterAttempts(reason: unknown, attempts: number): unknown {
  if (!(reason instanceof RpcError) || attempts === 1) {
    return reason;
  }
  return new RpcError(`${reason.rawMessage} (after ${attempts} attempts)`, reason.code, { metadata: reason.metadata, cause: reason });
}

// Waits for a back-off; rejects with `canceled` as soon as the signal aborts.
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new RpcError("call canceled", Code.Canceled, { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RpcError("call canceled", Code.Canceled, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// Spreading a policy with `undefined` fields would override the defaults with `undefined`.
function withoutUndefined(policy: RetryPolicy): RetryPolicy {
  return Object.fromEntries(Object.entries(policy).filter(([, value]) => value !== undefined)) as RetryPolicy;
}
