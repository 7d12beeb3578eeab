import type { DescMethod } from "@bufbuild/protobuf";
import type { StopPolicy as StopPolicyOption } from "../gen/nats/micro/v1/options_pb.js";
import { defaultJobPolicy, jobPolicyOf, type JobPolicy } from "./job-policy.js";

/**
 * How a method runs as a stop of routing-slip pipelines (docs/pipelines.md): its name in routes,
 * how often a message is tried at it and how long it waits between attempts, how long an attempt
 * may take, which errors dead-letter a message at once, and how many hops a route may make. From
 * the method's `stop` proto option over these defaults.
 */
export interface StopPolicy {
  /** The stop's name in routes and in its stream's name: the method name unless the option says otherwise. */
  readonly name: string;
  /** Attempts in all of one message, the first included. */
  readonly attempts: number;
  /** Wait before the second attempt, in milliseconds. */
  readonly backoffInitialMs: number;
  /** The longest wait between attempts, in milliseconds. */
  readonly backoffMaxMs: number;
  /** Growth of the wait from one attempt to the next. */
  readonly backoffMultiplier: number;
  /** Time of one attempt, in milliseconds. */
  readonly attemptTimeoutMs: number;
  /** Codes that dead-letter a message at once. */
  readonly nonRetryableCodes: JobPolicy["nonRetryableCodes"];
  /** The most hops a message may have made when it reaches the stop. */
  readonly maxHops: number;
}

/** What a stop's policy is unless its proto option or the method's timeout say otherwise. */
export const defaultStopPolicy: Omit<StopPolicy, "name"> = {
  attempts: 5,
  backoffInitialMs: 1_000,
  backoffMaxMs: 60_000,
  backoffMultiplier: 2,
  attemptTimeoutMs: 30_000,
  nonRetryableCodes: defaultJobPolicy.nonRetryableCodes,
  maxHops: 32,
};

/** The most hops a stop may allow. */
export const maxStopHops = 1_000;

/** Stop names: a subject token and part of a stream name. */
const stopNamePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Why `name` cannot be a stop name, or `undefined` when it can. */
export function checkStopName(name: string): string | undefined {
  return stopNamePattern.test(name) ? undefined : `stop name ${JSON.stringify(name)} is not valid: use 1 to 64 of A-Z a-z 0-9 _ -`;
}

/**
 * The stop policy of a method from its `stop` option (`undefined` when the method is no stop):
 * the retry fields follow the rules of a job policy (`jobPolicyOf`), the attempt's time is the
 * method's timeout unless set. Broken values are reported, one line each.
 */
export function stopPolicyOf(method: DescMethod, option: StopPolicyOption | undefined, timeoutMs: number | undefined, report: (problem: string) => void): StopPolicy | undefined {
  if (option === undefined) {
    return undefined;
  }
  const name = option.name === "" ? method.name : option.name;
  const nameProblem = checkStopName(name);
  if (nameProblem !== undefined) {
    report(`stop.name: ${nameProblem}`);
  }
  const fallback: JobPolicy = { ...defaultJobPolicy, ...defaultStopPolicy, attemptTimeoutMs: timeoutMs ?? defaultStopPolicy.attemptTimeoutMs };
  const retries = jobPolicyOf(option, fallback, report, "stop");
  let maxHops = option.maxHops === 0 ? defaultStopPolicy.maxHops : option.maxHops;
  if (maxHops > maxStopHops) {
    report(`stop.max_hops must be 1 to ${maxStopHops}, got ${maxHops}`);
    maxHops = defaultStopPolicy.maxHops;
  }
  return {
    name,
    attempts: retries.attempts,
    backoffInitialMs: retries.backoffInitialMs,
    backoffMaxMs: retries.backoffMaxMs,
    backoffMultiplier: retries.backoffMultiplier,
    attemptTimeoutMs: retries.attemptTimeoutMs,
    nonRetryableCodes: retries.nonRetryableCodes,
    maxHops,
  };
}
