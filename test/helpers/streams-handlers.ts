import { Code, isCode, RpcError, type HandlerContext } from "nats-micro-runtime";
import type { StreamsHandlers } from "../gen/testing/streams/v1/streams_nats.js";

/** What the Streams handlers have seen, for tests to look at. */
export interface StreamsState {
  readonly handlers: StreamsHandlers;
  /** The reason each stream's signal aborted with, in order. */
  readonly aborts: RpcError[];
  /** Streams whose handler is running. */
  running: number;
  /** Resolves with the next abort reason. */
  nextAbort(): Promise<RpcError>;
}

/** Waits `ms` milliseconds, or rejects with the signal's reason once it aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const done = () => {
      signal.removeEventListener("abort", abort);
      resolve();
    };
    const abort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", abort, { once: true });
  });
}

/** Handlers of testing.streams.v1.Streams that record how each stream ended. */
export function createStreamsHandlers(): StreamsState {
  const aborts: RpcError[] = [];
  const waiting: ((reason: RpcError) => void)[] = [];
  const watch = (context: HandlerContext) => {
    context.signal.addEventListener(
      "abort",
      () => {
        const reason = RpcError.from(context.signal.reason);
        aborts.push(reason);
        waiting.shift()?.(reason);
      },
      { once: true },
    );
  };
  const state: StreamsState = {
    aborts,
    running: 0,
    nextAbort: () => new Promise((resolve) => waiting.push(resolve)),
    handlers: {
      async *count(request, context) {
        watch(context);
        state.running += 1;
        try {
          context.responseHeader.set("x-count", String(request.count));
          for (let n = 1; n <= request.count; n += 1) {
            if (request.failAfter > 0 && n > request.failAfter) {
              throw new RpcError(`failed after ${request.failAfter} items`, isCode(request.failCode) ? request.failCode : Code.Internal);
            }
            if (request.intervalMs > 0) {
              await sleep(request.intervalMs, context.signal);
            }
            yield { n, payload: new Uint8Array(request.payloadBytes) };
          }
          context.responseTrailer.set("x-sent", String(request.count));
        } finally {
          state.running -= 1;
        }
      },
      async sum(requests, context) {
        watch(context);
        state.running += 1;
        try {
          let count = 0;
          let sum = 0n;
          for await (const item of requests) {
            count += 1;
            sum += BigInt(item.n);
          }
          return { count, sum };
        } finally {
          state.running -= 1;
        }
      },
      async *echo(requests, context) {
        watch(context);
        state.running += 1;
        try {
          for await (const item of requests) {
            if (item.n < 0) {
              throw new RpcError(`item ${item.n} is negative`, Code.InvalidArgument);
            }
            yield item;
          }
        } finally {
          state.running -= 1;
        }
      },
      ping(item) {
        return item;
      },
    },
  };
  return state;
}
