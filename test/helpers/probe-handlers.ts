import { performance } from "node:perf_hooks";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, isCode, RpcError } from "nats-micro-runtime";
import type { ProbeHandlers } from "../gen/testing/v1/probe_nats.js";
import { createChangeWaiter } from "./change-waiter.js";

/** One call of Sleep, as the handler lived it. Times are `performance.now()` milliseconds. */
export interface SleepRecord {
  readonly millis: number;
  readonly startedAt: number;
  /** When the handler's signal aborted, if it did. */
  abortedAt: number | undefined;
  /** The signal's abort reason, if it aborted. */
  abortReason: unknown;
  /** When the handler returned, if it has. */
  endedAt: number | undefined;
}

/** What the probe's handlers have seen, for tests to assert on and to wait for. */
export interface ProbeRecorder {
  /** Every Sleep call, in the order they started. */
  readonly sleeps: readonly SleepRecord[];
  /**
   * Resolves once `condition` holds (checked now and after every change the handlers record);
   * rejects, naming `what`, when it does not hold within `timeoutMs`.
   */
  waitFor(what: string, condition: () => boolean, timeoutMs?: number): Promise<void>;
  /** Ends every Sleep still waiting, so that no timer outlives a test. */
  releaseAll(): void;
}

/** Options of {@link createProbeHandlers}. */
export interface ProbeHandlersOptions {
  /** Sleep ignores its signal and waits the full time (it still records the abort): a handler that does not cooperate. */
  ignoreAbort?: boolean;
}

/**
 * Handlers of testing.v1.Probe that report what the host showed them:
 * - Echo returns the request headers, encoding, subject and time left, and sets `reply_headers`
 *   on the reply;
 * - Fail throws `RpcError(message, code)`, or a plain `Error` when `plain_error` is set;
 * - Sleep waits `millis`, but returns early with `aborted: true` when its signal aborts;
 * - Now returns the host's clock;
 * - Nest returns the first inner message (`inner`, else the first of `more`).
 */
export function createProbeHandlers(options: ProbeHandlersOptions = {}): { handlers: ProbeHandlers; recorder: ProbeRecorder } {
  const waiter = createChangeWaiter();
  const sleeps: SleepRecord[] = [];
  const releases = new Set<() => void>();
  const { changed } = waiter;

  const handlers: ProbeHandlers = {
    echo(request, context) {
      const requestHeaders: Record<string, string> = {};
      context.requestHeader.forEach((value, key) => (requestHeaders[key] = value));
      for (const [key, value] of Object.entries(request.replyHeaders)) {
        context.responseHeader.set(key, value);
      }
      const timeoutMs = context.timeoutMs();
      return {
        text: request.text,
        requestHeaders,
        encoding: context.encoding,
        subject: context.subject,
        ...(timeoutMs === undefined ? {} : { timeoutMs: BigInt(timeoutMs) }),
      };
    },

    fail(request) {
      if (request.plainError) {
        throw new Error(request.message);
      }
      if (!isCode(request.code)) {
        throw new RpcError(`"${request.code}" is not a code`, Code.InvalidArgument);
      }
      throw new RpcError(request.message, request.code);
    },

    async sleep(request, context) {
      const record: SleepRecord = { millis: request.millis, startedAt: performance.now(), abortedAt: undefined, abortReason: undefined, endedAt: undefined };
      sleeps.push(record);
      changed();
      const { signal } = context;
      await recordedSleep(record, signal, { releases, changed, ignoreAbort: options.ignoreAbort === true });
      return { aborted: signal.aborted };
    },

    now() {
      return timestampFromDate(new Date());
    },

    nest(request) {
      return request.inner ?? request.more[0] ?? {};
    },
  };

  const recorder: ProbeRecorder = {
    sleeps,
    waitFor: waiter.waitFor,
    releaseAll() {
      for (const release of [...releases]) {
        release();
      }
    },
  };
  return { handlers, recorder };
}

/** What a sleeping handler needs of the test around it. */
export interface SleepHooks {
  /** Each running sleep adds its early end here, so that a test can end them all. */
  readonly releases: Set<() => void>;
  /** Called whenever the record changes. */
  changed(): void;
  /** Keep sleeping when the signal aborts (a handler that ignores its deadline). */
  ignoreAbort?: boolean;
}

/**
 * Sleeps `record.millis`, or until `signal` aborts (unless told to ignore it), writing into `record`
 * when the abort came and when the sleep ended.
 */
export async function recordedSleep(
  record: Pick<SleepRecord, "millis" | "abortedAt" | "abortReason" | "endedAt">,
  signal: AbortSignal,
  hooks: SleepHooks,
): Promise<void> {
  const { releases, changed } = hooks;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      releases.delete(done);
      resolve();
    };
    const onAbort = () => {
      record.abortedAt = performance.now();
      record.abortReason = signal.reason;
      changed();
      if (hooks.ignoreAbort !== true) {
        done();
      }
    };
    const timer = setTimeout(done, record.millis);
    releases.add(done);
    if (signal.aborted) {
      onAbort();
    } else {
      signal.addEventListener("abort", onAbort);
    }
  });
  record.endedAt = performance.now();
  changed();
}
