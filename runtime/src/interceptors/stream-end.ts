import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";

/**
 * The replies of a stream, unchanged, with `onEnd` told once when the stream is over for its
 * reader: after the last reply (`undefined`), at its error, or when the reader leaves early
 * (`canceled`). For interceptors that time or count whole streams. Each step runs in `run`, so
 * that an interceptor can run the stream's steps in a context of its own (a trace span).
 */
export function onStreamEnd<T>(messages: AsyncIterable<T>, onEnd: (error: unknown) => void, run: <R>(step: () => R) => R = (step) => step()): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const iterator = messages[Symbol.asyncIterator]();
      let ended = false;
      const end = (error: unknown) => {
        if (!ended) {
          ended = true;
          onEnd(error);
        }
      };
      return {
        next: async () => {
          try {
            const step = await run(() => iterator.next());
            if (step.done === true) {
              end(undefined);
            }
            return step;
          } catch (reason) {
            end(reason);
            throw reason;
          }
        },
        return: async (value?: unknown) => {
          end(new RpcError("the stream was left before its end", Code.Canceled));
          return (await iterator.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}
