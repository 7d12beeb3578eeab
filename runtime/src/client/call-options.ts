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
