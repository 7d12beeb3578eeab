import type { DescMessage, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "./handler-context.js";

/**
 * Serves one unary method: takes the decoded request and returns the response, as a message or
 * as a plain object of its fields. Throw an `RpcError` to answer with an error code; any other
 * error answers `internal`, with the message "internal error" unless the host sets
 * `exposeInternalErrors` (never with its stack).
 */
export type UnaryHandler<Input extends DescMessage, Output extends DescMessage> = (
  request: MessageShape<Input>,
  context: HandlerContext,
) => Promise<MessageInitShape<Output>> | MessageInitShape<Output>;

/**
 * Serves one unary method that is a pipeline stop (docs/pipelines.md): as {@link UnaryHandler},
 * or `undefined` to drop the message (its route ends there).
 */
export type StopHandler<Input extends DescMessage, Output extends DescMessage> = (
  request: MessageShape<Input>,
  context: HandlerContext,
) => Promise<MessageInitShape<Output> | undefined> | MessageInitShape<Output> | undefined;

/**
 * Serves one server-streaming method: takes the request and yields the replies, typically as an
 * `async function*`. The host pulls the next reply only when the caller has granted credit for it
 * (docs/protocol.md, "Flow control"), so a generator never runs ahead of a slow reader. Throw an
 * `RpcError` to end the stream with that code, after the replies yielded before it.
 */
export type ServerStreamingHandler<Input extends DescMessage, Output extends DescMessage> = (
  request: MessageShape<Input>,
  context: HandlerContext,
) => AsyncIterable<MessageInitShape<Output>>;

/**
 * Serves one client-streaming method: reads the requests as they come (the caller sends more as
 * the handler takes them) and returns the one reply.
 */
export type ClientStreamingHandler<Input extends DescMessage, Output extends DescMessage> = (
  requests: AsyncIterable<MessageShape<Input>>,
  context: HandlerContext,
) => Promise<MessageInitShape<Output>>;

/** Serves one bidirectional method: reads the requests and yields replies, each at its own pace. */
export type BidiStreamingHandler<Input extends DescMessage, Output extends DescMessage> = (
  requests: AsyncIterable<MessageShape<Input>>,
  context: HandlerContext,
) => AsyncIterable<MessageInitShape<Output>>;

/** The handler type of one method, by its kind. */
export type MethodHandler<Method> = Method extends { input: infer Input extends DescMessage; output: infer Output extends DescMessage; methodKind: infer Kind }
  ? Kind extends "unary"
    ? UnaryHandler<Input, Output> | StopHandler<Input, Output>
    : Kind extends "server_streaming"
      ? ServerStreamingHandler<Input, Output>
      : Kind extends "client_streaming"
        ? ClientStreamingHandler<Input, Output>
        : Kind extends "bidi_streaming"
          ? BidiStreamingHandler<Input, Output>
          : never
  : never;

/**
 * One handler per method of a service, keyed by the method's local name, typed by the method's
 * kind. The generated `<Service>Handlers` interface is this type with the proto comments on each
 * method; there, only the methods that are pipeline stops may return `undefined` (the
 * descriptor's type does not say which methods are stops, so this type lets any unary one).
 */
export type ServiceHandlers<Service extends DescService> = {
  [Name in keyof Service["method"]]: MethodHandler<Service["method"][Name]>;
};
