import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { Encoding } from "../protocol/codec.js";
import type { HeadersInit } from "../protocol/headers-init.js";
import type { ContextValues } from "../service/context-values.js";

/** Options of one call. */
export interface CallOptions {
  /** How long to wait for the reply, in milliseconds; the host is told, and aborts the handler when it runs out. */
  timeoutMs?: number;
  /** Cancels the call: it fails at once with `canceled`. */
  signal?: AbortSignal;
  /** Headers to send with the request. */
  headers?: HeadersInit;
  /** Receives the reply's headers, on success and on error replies alike. */
  onHeader?: (headers: Headers) => void;
  /** Encoding of this call; the client's by default. */
  encoding?: Encoding;
  /** `false` makes this call once, whatever the client's retry policy (see {@link ClientOptions.retry}). */
  retry?: false;
  /** Values for the client's interceptors to read (see `createContextKey`). */
  contextValues?: ContextValues;
}

/** A function that calls one unary method. */
export type UnaryCall<Input extends DescMessage, Output extends DescMessage> = (
  request: MessageInitShape<Input>,
  options?: CallOptions,
) => Promise<MessageShape<Output>>;

/** Options of one streaming call. */
export interface StreamCallOptions {
  /**
   * The whole stream's deadline, in milliseconds: the host is told, and both sides end the stream
   * with `deadline_exceeded` when it runs out. Unless set: the method's `timeout` proto option,
   * else none (a stream may last as long as its caller reads it).
   */
  timeoutMs?: number;
  /** Cancels the stream: the call fails at once with `canceled`, and the host's handler is told. */
  signal?: AbortSignal;
  /** Headers to send with the stream's setup. */
  headers?: HeadersInit;
  /** Receives the response headers, before the first reply (or with the end, when there is none). */
  onHeader?: (headers: Headers) => void;
  /** Receives the trailers the handler set, when the stream ends, with success or not. */
  onTrailer?: (trailers: Headers) => void;
  /** Encoding of this stream's messages; the client's by default. */
  encoding?: Encoding;
}

/**
 * A function that calls one server-streaming method: iterate the replies with `for await`.
 * Leaving the loop early (`break`, `return`, a throw) cancels the stream on the host.
 */
export type ServerStreamingCall<Input extends DescMessage, Output extends DescMessage> = (
  request: MessageInitShape<Input>,
  options?: StreamCallOptions,
) => AsyncIterable<MessageShape<Output>>;

/** A function that calls one client-streaming method: sends the requests as the host takes them, resolves with the reply. */
export type ClientStreamingCall<Input extends DescMessage, Output extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<Input>>,
  options?: StreamCallOptions,
) => Promise<MessageShape<Output>>;

/** A function that calls one bidirectional method: sends the requests as the host takes them, and yields the replies. */
export type BidiStreamingCall<Input extends DescMessage, Output extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<Input>>,
  options?: StreamCallOptions,
) => AsyncIterable<MessageShape<Output>>;

/** The call type of one method, by its kind. */
export type MethodCall<Method> = Method extends { input: infer Input extends DescMessage; output: infer Output extends DescMessage; methodKind: infer Kind }
  ? Kind extends "unary"
    ? UnaryCall<Input, Output>
    : Kind extends "server_streaming"
      ? ServerStreamingCall<Input, Output>
      : Kind extends "client_streaming"
        ? ClientStreamingCall<Input, Output>
        : Kind extends "bidi_streaming"
          ? BidiStreamingCall<Input, Output>
          : never
  : never;
