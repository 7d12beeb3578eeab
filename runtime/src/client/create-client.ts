import type { DescMessage, DescService, Registry } from "@bufbuild/protobuf";
import type { Interceptor, UnaryFn } from "../interceptors/interceptor.js";
import { clientMethodMetrics } from "../metrics/method-metrics.js";
import type { RpcMetrics } from "../metrics/rpc-metrics.js";
import type { Encoding } from "../protocol/codec.js";
import { defaultStreamHeartbeatMs, defaultStreamWindow, streamSetting } from "../protocol/stream-frames.js";
import { defineService, type EndpointDefinition, type ServiceDefinitionOptions } from "../service/service-definition.js";
import { serviceRegistry } from "../service/service-registry.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import type { MethodCall, StreamCallOptions, UnaryCall } from "./call-options.js";
import { callUnary } from "./call-unary.js";
import { callClientStream, callStream, type StreamCallSettings } from "./call-stream.js";
import { interceptedStream } from "./intercepted-stream.js";
import { interceptedCall } from "./intercepted-call.js";
import { metricsInterceptor } from "./metrics-interceptor.js";
import { retryInterceptor } from "./retry-interceptor.js";
import { mayRetryMethod, resolveRetryPolicy, type RetryPolicy } from "./retry-policy.js";

export type { BidiStreamingCall, CallOptions, ClientStreamingCall, MethodCall, ServerStreamingCall, StreamCallOptions, UnaryCall } from "./call-options.js";

/** The timeout of a call when neither the call nor the client sets one. */
export const defaultTimeoutMs = 5_000;

/** Options of a client: defaults for its calls. */
export interface ClientOptions extends Pick<ServiceDefinitionOptions, "name"> {
  /**
   * Default timeout of every unary call, in milliseconds. Unless set: the method's `timeout` proto
   * option, else the service's, else {@link defaultTimeoutMs}. A stream's deadline is its call's
   * `timeoutMs`, else the `timeout` proto option, else none.
   */
  timeoutMs?: number;
  /**
   * How many of a host's stream messages the client holds at most that its caller has not read:
   * the largest credit it grants a stream, which holds about 1 MiB of messages of the size seen
   * (docs/protocol.md, "Flow control"). 1024 unless set.
   */
  streamWindow?: number;
  /**
   * How often each side of a stream sends a frame when it has sent none, in milliseconds; three
   * intervals without a frame from the host fail the stream with `unavailable`. 5000 unless set.
   */
  streamHeartbeatMs?: number;
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
  /**
   * Run around every call, first one outermost (docs/interceptors.md): they see the request
   * before it is sent and the reply or error after. Metrics and retries run inside them.
   */
  interceptors?: readonly Interceptor[];
  /**
   * Sends the requests of one turn of the event loop together, in one write, rather than one
   * write each: for a client with many calls in flight, such as a gateway, at the price of a few
   * microseconds per call when idle. Off unless set.
   */
  batchWrites?: boolean;
  /**
   * How the calls reach the service, when not as NATS requests: such as `jobTransport` of
   * "nats-micro-runtime/jobs", which makes each call a durable job and waits for its result. The
   * interceptors run around it as around a request.
   */
  transport?: ClientTransport;
}

/**
 * Another way for a client's calls to reach a service: for each method, the innermost step of
 * its calls, in place of the NATS request.
 */
export type ClientTransport = (endpoint: EndpointDefinition) => UnaryFn;

/** A client of a service: one function per method, keyed by the method's local name, typed by the method's kind. */
export type ServiceClient<Service extends DescService> = {
  [Name in keyof Service["method"]]: MethodCall<Service["method"][Name]>;
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
  const encoding = options.encoding ?? "binary";
  const batchWrites = options.batchWrites === true;
  const client: Record<string, UnaryCall<DescMessage, DescMessage>> = {};
  for (const endpoint of definition.endpoints) {
    // The timeout of a call that sets none: the client's, else the proto option's, else the default.
    const defaultCallTimeoutMs = options.timeoutMs ?? endpoint.timeoutMs ?? defaultTimeoutMs;
    const methodMetrics = options.metrics === undefined ? undefined : clientMethodMetrics(options.metrics, definition.name, endpoint.name);
    // The user's interceptors outermost, so that they see each call once; metrics next, so that
    // they time the whole call; retries innermost, around single attempts.
    const interceptors: Interceptor[] = [
      ...(options.interceptors ?? []),
      ...(methodMetrics === undefined ? [] : [metricsInterceptor(methodMetrics)]),
      ...(retryPolicy === undefined || !mayRetryMethod(endpoint.method, retryPolicy) ? [] : [retryInterceptor(retryPolicy, () => nc.isClosed(), methodMetrics?.retried)]),
    ];
    const send = options.transport?.(endpoint);
    // A client without interceptors (no metrics, no retries) makes each call directly, and pays nothing for them.
    client[endpoint.method.localName] =
      interceptors.length === 0 && send === undefined
        ? (request, callOptions = {}) =>
            callUnary(nc, endpoint.method, endpoint.subject, request, {
              ...callOptions,
              timeoutMs: callOptions.timeoutMs ?? defaultCallTimeoutMs,
              encoding: callOptions.encoding ?? encoding,
              registry,
              batchWrites,
            })
        : interceptedCall({ nc, endpoint, defaultTimeoutMs: defaultCallTimeoutMs, encoding, registry, batchWrites, ...(send === undefined ? {} : { send }) }, interceptors);
  }
  for (const endpoint of definition.streams) {
    const settings: StreamCallSettings = {
      nc,
      endpoint,
      registry,
      encoding,
      window: streamSetting("streamWindow", options.streamWindow, defaultStreamWindow),
      heartbeatMs: streamSetting("streamHeartbeatMs", options.streamHeartbeatMs, defaultStreamHeartbeatMs),
      timeoutMs: endpoint.timeoutMs,
    };
    // Metrics and the user's interceptors as for unary calls; retries are for unary calls only.
    const interceptors: Interceptor[] = [
      ...(options.interceptors ?? []),
      ...(options.metrics === undefined ? [] : [metricsInterceptor(clientMethodMetrics(options.metrics, definition.name, endpoint.name))]),
    ];
    client[endpoint.method.localName] = (
      interceptors.some((interceptor) => interceptor.stream !== undefined)
        ? interceptedStream(settings, interceptors)
        : endpoint.kind === "client_streaming"
          ? (requests: unknown, callOptions?: StreamCallOptions) => callClientStream(settings, requests, callOptions)
          : (input: unknown, callOptions?: StreamCallOptions) => callStream(settings, input, callOptions)
    ) as never;
  }
  return client as ServiceClient<Service>;
}
