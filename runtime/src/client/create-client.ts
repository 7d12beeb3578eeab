import type { DescMessage, DescService, MessageInitShape, MessageShape, Registry } from "@bufbuild/protobuf";
import { clientMethodMetrics, okCode, type MethodMetrics } from "../metrics/method-metrics.js";
import type { RpcMetrics } from "../metrics/rpc-metrics.js";
import { Code } from "../protocol/code.js";
import type { Encoding } from "../protocol/codec.js";
import { RpcError } from "../protocol/rpc-error.js";
import { defineService, type ServiceDefinitionOptions } from "../service/service-definition.js";
import { serviceRegistry } from "../service/service-registry.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { callUnary } from "./call-unary.js";
import type { CallOptions } from "./call-options.js";
import { callWithRetry, mayRetryMethod, resolveRetryPolicy, type ResolvedRetryPolicy, type RetryPolicy } from "./retry-policy.js";

export type { CallOptions } from "./call-options.js";

/** The timeout of a call when neither the call nor the client sets one. */
export const defaultTimeoutMs = 5_000;

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
  /**
   * Resolves the message types that JSON payloads name: those packed in `google.protobuf.Any`,
   * and extensions. By default the service's file and every file it imports.
   */
  registry?: Registry;
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
  const registry = options.registry ?? serviceRegistry(service);
  const client: Record<string, UnaryCall<DescMessage, DescMessage>> = {};
  for (const endpoint of definition.endpoints) {
    // The timeout of a call that sets none: the client's, else the proto option's, else the default.
    const defaultCallTimeoutMs = options.timeoutMs ?? endpoint.timeoutMs ?? defaultTimeoutMs;
    const once: UnaryCall<DescMessage, DescMessage> = (request, callOptions = {}) =>
      callUnary(nc, endpoint.method, endpoint.subject, request, {
        ...callOptions,
        timeoutMs: callOptions.timeoutMs ?? defaultCallTimeoutMs,
        encoding: callOptions.encoding ?? options.encoding ?? "binary",
        registry,
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
