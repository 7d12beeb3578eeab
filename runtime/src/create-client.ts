import { create, type DescMessage, type DescMethod, type DescService, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { ErrorCode, headers as createHeaders, Match, NatsError, type NatsConnection } from "nats";
import { Code } from "./code.js";
import { decodeMessage, encodeMessage, encodingFromContentType, jsonContentType, type Encoding } from "./codec.js";
import { maxTimeoutMs } from "./deadline.js";
import { errorFromHeaders } from "./error-headers.js";
import { toFetchHeaders, type HeadersInit } from "./fetch-headers.js";
import { HeaderName } from "./protocol-headers.js";
import { RpcError } from "./rpc-error.js";
import { clientMethodMetrics, okCode, type MethodMetrics, type RpcMetrics } from "./rpc-metrics.js";
import { requestReply } from "./reply-multiplexer.js";
import { callWithRetry, mayRetryMethod, resolveRetryPolicy, type ResolvedRetryPolicy, type RetryPolicy } from "./retry-policy.js";
import { defineService, type ServiceDefinitionOptions } from "./service-definition.js";

/** The timeout of a call when neither the call nor the client sets one. */
export const defaultTimeoutMs = 5_000;

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
}

/** Options of a client: defaults for its calls. */
export interface ClientOptions extends Pick<ServiceDefinitionOptions, "name"> {
  /**
   * Default timeout of every call, in milliseconds. Unless set: the method's `timeout` proto option,
   * else the service's, else {@link defaultTimeoutMs}.
   */
  timeoutMs?: number;
  /** Encoding of every call: protobuf `binary` (the default) or `json`. */
  encoding?: Encoding;
  /**
   * Prometheus metrics to record every call in (see `createRpcMetrics`): count by code and
   * latency. Without it the client records none and pays nothing for them.
   */
  metrics?: RpcMetrics;
  /**
   * Retries calls that fail with `unavailable` (by default) for the methods whose proto declares
   * `idempotency_level` `NO_SIDE_EFFECTS` or `IDEMPOTENT`, within each call's timeout; see
   * {@link RetryPolicy}. Without it every call is made once, as in gRPC and Connect.
   */
  retry?: RetryPolicy;
}

/** A function that calls one unary method. */
export type UnaryCall<Input extends DescMessage, Output extends DescMessage> = (
  request: MessageInitShape<Input>,
  options?: CallOptions,
) => Promise<MessageShape<Output>>;

/** A client of a service: one function per unary method, keyed by the method's local name. */
export type ServiceClient<Service extends DescService> = {
  [Name in keyof Service["method"] as Service["method"][Name] extends { methodKind: "unary" } ? Name : never]: Service["method"][Name] extends {
    input: infer Input extends DescMessage;
    output: infer Output extends DescMessage;
  }
    ? UnaryCall<Input, Output>
    : never;
};

/**
 * Creates a client for a service from its descriptor; the generated `<Service>Client` class wraps
 * it with typed, documented methods.
 *
 * @example
 * const calc = createClient(nc, Calc);
 * const reply = await calc.average({ values: [1, 2, 3.5] }, { timeoutMs: 1000 });
 */
export function createClient<Service extends DescService>(nc: NatsConnection, service: Service, options: ClientOptions = {}): ServiceClient<Service> {
  const definition = defineService(service, options);
  const retryPolicy = options.retry === undefined ? undefined : resolveRetryPolicy(options.retry);
  const client: Record<string, UnaryCall<DescMessage, DescMessage>> = {};
  for (const endpoint of definition.endpoints) {
    // The timeout of a call that sets none: the client's, else the proto option's, else the default.
    const defaultCallTimeoutMs = options.timeoutMs ?? endpoint.timeoutMs ?? defaultTimeoutMs;
    const once: UnaryCall<DescMessage, DescMessage> = (request, callOptions = {}) =>
      callUnary(nc, endpoint.method, endpoint.subject, request, {
        ...callOptions,
        timeoutMs: callOptions.timeoutMs ?? defaultCallTimeoutMs,
        encoding: callOptions.encoding ?? options.encoding ?? "binary",
      });
    const methodMetrics = options.metrics === undefined ? undefined : clientMethodMetrics(options.metrics, definition.name, endpoint.name);
    // The retry loop wraps whole single attempts, so that it holds whatever one attempt does.
    const call =
      retryPolicy === undefined || !mayRetryMethod(endpoint.method, retryPolicy)
        ? once
        : withRetry(once, retryPolicy, defaultCallTimeoutMs, () => nc.isClosed(), methodMetrics);
    // Wrapped once here rather than checked per call, so that a client without metrics pays nothing.
    client[endpoint.method.localName] = methodMetrics === undefined ? call : withMetrics(call, methodMetrics);
  }
  return client as ServiceClient<Service>;
}

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
  options: CallOptions & { timeoutMs: number; encoding: Encoding },
): Promise<MessageShape<Output>> {
  const { timeoutMs, encoding, signal } = options;
  if (!Number.isInteger(timeoutMs) || timeoutMs > maxTimeoutMs) {
    throw new RpcError(`timeout must be a whole number of milliseconds up to ${maxTimeoutMs}, got ${timeoutMs}`, Code.InvalidArgument);
  }
  // A handler that passes on its own remaining time (context.timeoutMs()) may have none left.
  if (timeoutMs <= 0) {
    throw new RpcError(`deadline already passed before calling ${subject}`, Code.DeadlineExceeded);
  }
  if (signal?.aborted === true) {
    throw new RpcError("call canceled before it was sent", Code.Canceled, { cause: signal.reason });
  }
  const payload = encodeMessage(method.input, create(method.input, request), encoding);
  const maxPayload = nc.info?.max_payload;
  if (maxPayload !== undefined && payload.length > maxPayload) {
    throw new RpcError(
      `request of ${payload.length} bytes to ${subject} exceeds the server's max_payload of ${maxPayload} bytes`,
      Code.ResourceExhausted,
    );
  }
  const headers = createHeaders();
  if (options.headers !== undefined) {
    new Headers(options.headers).forEach((value, key) => headers.append(key, value));
  }
  // The protocol's own headers replace any the caller gave, whatever their case.
  headers.set(HeaderName.Timeout, String(timeoutMs), Match.IgnoreCase);
  if (encoding === "json") {
    headers.set(HeaderName.ContentType, jsonContentType, Match.IgnoreCase);
  } else {
    headers.delete(HeaderName.ContentType, Match.IgnoreCase);
  }

  const reply = await withAbort(
    // Not nc.request: see reply-multiplexer.ts for what that saves on every call.
    requestReply(nc, subject, payload, headers, timeoutMs).catch((reason: unknown) => {
      throw requestError(nc, reason, subject, timeoutMs);
    }),
    signal,
  );
  options.onHeader?.(toFetchHeaders(reply.headers));
  const replyError = errorFromHeaders(reply.headers);
  if (replyError !== undefined) {
    throw replyError;
  }
  try {
    const replyContentType = reply.headers?.get(HeaderName.ContentType, Match.IgnoreCase) ?? "";
    const replyEncoding = replyContentType === "" ? encoding : encodingFromContentType(replyContentType);
    return decodeMessage(method.output, reply.data, replyEncoding);
  } catch (reason) {
    throw new RpcError(`invalid reply from ${subject}: ${RpcError.from(reason).rawMessage}`, Code.Internal, { cause: reason });
  }
}

/** A call made up to the policy's number of times, each attempt with the time left of the call's timeout. */
function withRetry(
  once: UnaryCall<DescMessage, DescMessage>,
  policy: ResolvedRetryPolicy,
  clientTimeoutMs: number,
  isClosed: () => boolean,
  methodMetrics: MethodMetrics | undefined,
): UnaryCall<DescMessage, DescMessage> {
  const onRetry = methodMetrics?.retried;
  return (request, callOptions = {}) => {
    if (callOptions.retry === false) {
      return once(request, callOptions);
    }
    const timeoutMs = callOptions.timeoutMs ?? clientTimeoutMs;
    return callWithRetry((attemptTimeoutMs) => once(request, { ...callOptions, timeoutMs: attemptTimeoutMs }), policy, {
      timeoutMs,
      signal: callOptions.signal,
      isClosed,
      onRetry,
    });
  };
}

/** A call that records its outcome and latency in the method's metrics. */
function withMetrics(call: UnaryCall<DescMessage, DescMessage>, methodMetrics: MethodMetrics): UnaryCall<DescMessage, DescMessage> {
  return async (request, callOptions) => {
    const startedAt = process.hrtime.bigint();
    try {
      const reply = await call(request, callOptions);
      methodMetrics.finished(startedAt, okCode);
      return reply;
    } catch (reason) {
      methodMetrics.finished(startedAt, reason instanceof RpcError ? reason.code : Code.Unknown);
      throw reason;
    }
  };
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

/** Turns an error of a request (nats.js's codes) into an `RpcError` that says what happened in the caller's terms. */
function requestError(nc: NatsConnection, reason: unknown, subject: string, timeoutMs: number): RpcError {
  if (!(reason instanceof NatsError)) {
    return RpcError.from(reason, Code.Unknown);
  }
  // nats.js fails the requests still waiting when the connection closes with its timeout error.
  if (reason.code === ErrorCode.Timeout && nc.isClosed()) {
    return new RpcError(`connection closed while waiting for the reply from ${subject}`, Code.Unavailable, { cause: reason });
  }
  switch (reason.code) {
    case ErrorCode.Timeout:
      return new RpcError(`no reply from ${subject} within ${timeoutMs} ms`, Code.DeadlineExceeded, { cause: reason });
    case ErrorCode.NoResponders:
      return new RpcError(`no service instance is listening on ${subject}`, Code.Unavailable, { cause: reason });
    case ErrorCode.ConnectionClosed:
    case ErrorCode.ConnectionDraining:
    case ErrorCode.Disconnect:
      return new RpcError(`connection lost while calling ${subject}: ${reason.message}`, Code.Unavailable, { cause: reason });
    case ErrorCode.PermissionsViolation:
    case ErrorCode.AuthorizationViolation:
      return new RpcError(`not permitted to call ${subject}: ${reason.message}`, Code.PermissionDenied, { cause: reason });
    case ErrorCode.MaxPayloadExceeded:
      return new RpcError(`request to ${subject} is too large: ${reason.message}`, Code.ResourceExhausted, { cause: reason });
    default:
      return new RpcError(`request to ${subject} failed: ${reason.message}`, Code.Unknown, { cause: reason });
  }
}
