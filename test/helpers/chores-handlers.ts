import { Code, isCode, RpcError, type HandlerContext } from "nats-micro-runtime";
import type { ChoresHandlers } from "../gen/testing/jobs/v1/chores_nats.js";
import type { DoRequest } from "../gen/testing/jobs/v1/chores_pb.js";

/** One run of a chore's handler, as the handler saw it. */
export interface ChoreCall {
  readonly key: string;
  readonly method: string;
  /** The job's attempt, 0 for a plain request. */
  readonly attempt: number;
  readonly jobId: string | undefined;
  readonly startedAt: number;
  /** How the call ended: `ok`, an error code, or `aborted` (its signal). */
  outcome?: string;
}

/** Handlers of the chores service that record every call and do what each request asks. */
export interface ChoresRecorder {
  readonly handlers: ChoresHandlers;
  readonly calls: ChoreCall[];
  callsOf(key: string): ChoreCall[];
}

/**
 * Chores handlers for the job tests: a request fails with `fail_code` for its first
 * `fail_attempts` calls (every call when 0), sleeps `sleep_ms` (ending early, as `aborted`, when
 * its signal aborts), and exits the process on attempt `crash_on_attempt` (for worker processes).
 */
export function createChoresHandlers(worker = "in-process"): ChoresRecorder {
  const calls: ChoreCall[] = [];
  const run = async (method: string, request: DoRequest, context: HandlerContext) => {
    const attempt = context.job?.attempt ?? 0;
    if (request.crashOnAttempt !== 0 && attempt >= request.crashOnAttempt) {
      process.exit(1);
    }
    const call: ChoreCall = { key: request.key, method, attempt, jobId: context.job?.id, startedAt: Date.now() };
    calls.push(call);
    const earlier = calls.filter((other) => other.key === request.key).length;
    try {
      if (request.sleepMs > 0) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, request.sleepMs);
          context.signal.addEventListener("abort", () => (clearTimeout(timer), reject(context.signal.reason)), { once: true });
        });
      }
      if (request.failCode !== "" && (request.failAttempts === 0 || earlier <= request.failAttempts)) {
        throw new RpcError(`chore ${request.key} failed on call ${earlier}`, isCode(request.failCode) ? request.failCode : Code.Unknown);
      }
      call.outcome = "ok";
      return { key: request.key, attempt, worker };
    } catch (error) {
      call.outcome = context.signal.aborted ? "aborted" : error instanceof RpcError ? error.code : "thrown";
      throw error;
    }
  };
  return {
    handlers: {
      do: (request, context) => run("Do", request, context),
      slow: (request, context) => run("Slow", request, context),
      serial: (request, context) => run("Serial", request, context),
    },
    calls,
    callsOf: (key) => calls.filter((call) => call.key === key),
  };
}
