import { Code, RpcError, type HandlerContext } from "nats-micro-runtime";
import type { TallyHandlers } from "../gen/testing/reliability/v1/tally_nats.js";

/** Options of {@link createTallyHandlers}. */
export interface TallyHandlersOptions {
  /** Named in every reply, so that a test sees which instance answered. */
  instance?: string;
  /** Each call id's first this many executions fail with `failCode`: a host that is briefly unable to serve. */
  failFirst?: number;
  /** The code those failures carry; `unavailable` by default. */
  failCode?: Code;
  /** How long each handler waits before it answers, in milliseconds; 0 by default. */
  delayMs?: number;
}

/** Handlers of testing.reliability.v1.Tally and what they have seen. */
export interface TallyState {
  readonly handlers: TallyHandlers;
  /** The counts, by key. */
  readonly counts: Map<string, bigint>;
  /** How often each call id was handled (only calls that set one). */
  readonly executions: Map<string, number>;
}

/** Handlers of Tally that keep their counts in memory and count how often each call id ran. */
export function createTallyHandlers(options: TallyHandlersOptions = {}): TallyState {
  const counts = new Map<string, bigint>();
  const executions = new Map<string, number>();
  const instance = options.instance ?? "";
  const failFirst = options.failFirst ?? 0;
  const delayMs = options.delayMs ?? 0;

  // Counts the execution, then fails it if it is one of the first `failFirst` of its call id.
  const enter = async (callId: string, context: HandlerContext) => {
    if (callId !== "") {
      const count = (executions.get(callId) ?? 0) + 1;
      executions.set(callId, count);
      if (count <= failFirst) {
        throw new RpcError(`execution ${count} of call ${callId} fails on purpose`, options.failCode ?? Code.Unavailable);
      }
    }
    if (delayMs > 0) {
      // The signal is made on first use: only handlers that wait need one.
      const { signal } = context;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  const reply = (key: string) => ({ key, value: counts.get(key) ?? 0n, instance });

  const handlers: TallyHandlers = {
    async get(request, context) {
      await enter(request.callId, context);
      return reply(request.key);
    },
    async set(request, context) {
      await enter(request.callId, context);
      counts.set(request.key, request.value);
      return reply(request.key);
    },
    async add(request, context) {
      await enter(request.callId, context);
      counts.set(request.key, (counts.get(request.key) ?? 0n) + request.delta);
      return reply(request.key);
    },
  };
  return { handlers, counts, executions };
}
