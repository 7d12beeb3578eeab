import { create, type DescMessage, type DescMethod, type MessageInitShape, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { decodeMessage, encodeMessage, encodingFromContentType, type Encoding } from "../protocol/codec.js";
import { errorFromHeaders } from "../protocol/error-headers.js";
import { HeaderName } from "../protocol/header-name.js";
import { RpcError } from "../protocol/rpc-error.js";
import { maxTimeoutMs } from "../protocol/timeout-header.js";
import type { HeadersInit } from "../protocol/headers-init.js";
import { callerRequestHeaders, natsHeader, protocolRequestHeaders, toFetchHeaders } from "../transport/nats/message-headers.js";
import type { MsgHdrs, NatsConnection } from "../transport/nats/nats-client.js";
import { requestError } from "../transport/nats/nats-errors.js";
import { requestReply } from "../transport/nats/reply-multiplexer.js";
import type { CallOptions } from "./call-options.js";

/**
 * Calls a unary method on a subject and waits for the reply. Every failure is an `RpcError`: an
 * error reply with its code, `deadline_exceeded` on timeout, `unavailable` when no instance
 * listens, `canceled` when the signal aborts.
 */
export async function callUnary<Input extends DescMessage, Output extends DescMessage>(
  nc: NatsConnection,
  method: DescMethod & { input: Input; output: Output },
  subject: string,
  request: MessageInitShape<Input>,
  options: CallOptions & { timeoutMs: number; encoding: Encoding; registry?: Registry | undefined; batchWrites?: boolean },
): Promise<MessageShape<Output>> {
  const { timeoutMs, encoding, signal } = options;
  checkCallTimeout(timeoutMs);
  // A handler that passes on its own remaining time (context.timeoutMs()) may have none left.
  if (timeoutMs <= 0) {
    throw new RpcError(`deadline already passed before calling ${subject}`, Code.DeadlineExceeded);
  }
  if (signal?.aborted === true) {
    throw new RpcError("call canceled before it was sent", Code.Canceled, { cause: signal.reason });
  }
  let payload: Uint8Array;
  try {
    payload = encodeMessage(method.input, create(method.input, request), encoding, options.registry);
  } catch (reason) {
    // Such as JSON of a google.protobuf.Any packing a type that the client's registry lacks.
    throw new RpcError(`cannot encode the request to ${subject}: ${RpcError.from(reason).rawMessage}`, Code.InvalidArgument, { cause: reason });
  }
  const { headers, headerSize } = requestHeaders(options.headers, timeoutMs, encoding);
  const maxPayload = nc.info?.max_payload;
  if (maxPayload !== undefined && payload.length + headerSize > maxPayload) {
    throw new RpcError(
      `request of ${payload.length + headerSize} bytes (payload and headers) to ${subject} exceeds the server's max_payload of ${maxPayload} bytes`,
      Code.ResourceExhausted,
    );
  }

  const reply = await withAbort(
    // Not nc.request: see reply-multiplexer.ts for what that saves on every call.
    requestReply(nc, subject, payload, headers, timeoutMs, options.batchWrites === true).catch((reason: unknown) => {
      throw requestError(nc, reason, subject, timeoutMs);
    }),
    signal,
  );
  const replyHeader = (name: string) => natsHeader(reply.headers, name);
  options.onHeader?.(toFetchHeaders(reply.headers));
  const replyError = errorFromHeaders(replyHeader, () => toFetchHeaders(reply.headers), () => ({ data: reply.data, encoding: replyEncodingOf(replyHeader, encoding) }));
  if (replyError !== undefined) {
    throw replyError;
  }
  try {
    const replyEncoding = replyEncodingOf(replyHeader, encoding);
    return decodeMessage(method.output, reply.data, replyEncoding, options.registry);
  } catch (reason) {
    throw new RpcError(`invalid reply from ${subject}: ${RpcError.from(reason).rawMessage}`, Code.Internal, { cause: reason });
  }
}

/** The encoding of a reply: its Content-Type's, else the request's. */
function replyEncodingOf(replyHeader: (name: string) => string, requestEncoding: Encoding): Encoding {
  const replyContentType = replyHeader(HeaderName.ContentType);
  return replyContentType === "" ? requestEncoding : encodingFromContentType(replyContentType);
}

/**
 * The NATS headers of a request and the bytes they take on the wire. The protocol's own headers
 * replace any the caller gave, whatever their case. A call without headers of its caller (the
 * common case) takes a ready block (see `protocolRequestHeaders`); the caller's are read through
 * one WHATWG `Headers` (the one given, or one made of a record or pairs), which checks and
 * lower-cases their names.
 */
function requestHeaders(callerHeaders: HeadersInit | undefined, timeoutMs: number, encoding: Encoding): { headers: MsgHdrs; headerSize: number } {
  if (callerHeaders === undefined) {
    const ready = protocolRequestHeaders(timeoutMs, encoding);
    return { headers: ready.headers, headerSize: ready.size };
  }
  const caller = callerHeaders instanceof Headers ? callerHeaders : new Headers(callerHeaders);
  const { headers, size } = callerRequestHeaders(caller, timeoutMs, encoding);
  return { headers, headerSize: size };
}

/** Throws `invalid_argument` for a call timeout that is not a whole number of milliseconds a timer can wait. */
export function checkCallTimeout(timeoutMs: number): void {
  if (!Number.isInteger(timeoutMs) || timeoutMs > maxTimeoutMs) {
    throw new RpcError(`timeout must be a whole number of milliseconds up to ${maxTimeoutMs}, got ${timeoutMs}`, Code.InvalidArgument);
  }
}

/** Rejects with `canceled` as soon as the signal aborts, whatever the call is doing. */
function withAbort<T>(call: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) {
    return call;
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RpcError("call canceled", Code.Canceled, { cause: signal.reason }));
    signal.addEventListener("abort", onAbort, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
