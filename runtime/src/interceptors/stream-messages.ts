import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";

// The streams of messages that stream interceptors pass around, made and read.

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

/** One message, when it comes, as a stream of one: the request of a server-streaming call, the reply of a client-streaming one. */
export async function* streamOfOne<T>(message: T | Promise<T>): AsyncGenerator<Awaited<T>, void, undefined> {
  yield await message;
}

/** The first message of a stream of one (the request of a server-streaming call); `invalid_argument` for none. */
export async function firstMessage(messages: AsyncIterable<unknown>): Promise<unknown> {
  for await (const message of messages) {
    return message;
  }
  throw new RpcError("a server-streaming call needs its request", Code.InvalidArgument);
}

/**
 * What a handler yields or a caller sends (messages or plain objects of their fields) as messages
 * of `schema`, for interceptors to read.
 */
export async function* asMessages(schema: DescMessage, values: AsyncIterable<unknown>): AsyncGenerator<MessageShape<DescMessage>, void, undefined> {
  for await (const value of values) {
    if (typeof value !== "object" || value === null) {
      throw new RpcError(`${value === null ? "null" : typeof value} is not a ${schema.typeName}`, Code.Internal);
    }
    yield create(schema, value as never);
  }
}
