import type { DescService, Registry } from "@bufbuild/protobuf";
import { serverMethodMetrics, streamMessageMetrics } from "../metrics/method-metrics.js";
import type { RpcMetrics } from "../metrics/rpc-metrics.js";
import type { Interceptor } from "../interceptors/interceptor.js";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import { defaultStreamWindow, streamSetting } from "../protocol/stream-frames.js";
import { defineService, type EndpointDefinition, type ServiceDefinition, type ServiceDefinitionOptions } from "../service/service-definition.js";
import type { ServiceHandlers } from "../service/service-handlers.js";
import { serviceRegistry } from "../service/service-registry.js";
import { subscribeDiscovery } from "../transport/nats/discovery-subscriptions.js";
import { nuid, type NatsConnection, type Subscription } from "../transport/nats/nats-client.js";
import { NatsRequest } from "../transport/nats/nats-request.js";
import { resolveConcurrencyLimits, type ConcurrencyLimits } from "./concurrency-limit.js";
import { createEndpointStats } from "./endpoint-stats.js";
import type { AnyUnaryHandler, FinishedRequest, HostEndpoint, HostState } from "./host-endpoint.js";
import type { HostEntryPoint, RunningEntryPoint } from "./host-entry-point.js";
import { interceptHandler } from "./intercept-handler.js";
import { invokeUnary } from "./invoke-unary.js";
import { serveStream, type HostStreamEndpoint, type HostStreams } from "./serve-stream.js";
import { streamInvoker } from "./stream-invoker.js";
import { discoveryResponse, infoResponse, statsResponse, type InfoResponse, type InstanceState, type StatsResponse } from "./micro-discovery.js";

/**
 * Options of {@link createHost}. The concurrency limits (`maxConcurrentRequests`,
 * `maxConcurrentRequestsByMethod`) make a host answer requests over them at once with
 * `resource_exhausted` (429) instead of queueing them; such requests count as errors in the stats.
 */
export interface HostOptions extends ServiceDefinitionOptions, ConcurrencyLimits {
  /**
   * Prometheus metrics to record every request in (see `createRpcMetrics` in
   * `nats-micro-runtime/metrics`): count by code, latency, requests in flight. Without it the
   * host records none and pays nothing for them.
   */
  metrics?: RpcMetrics;
  /**
   * Send callers the message of errors that are not an `RpcError` (a bug, an error from a library
   * or from Node, such as `ENOENT: no such file or directory, open '/srv/app/config.json'`). Off
   * by default: callers get `internal` with the message "internal error", and the message itself
   * stays on the host, in `$SRV.STATS`'s `last_error`. Stacks are never sent.
   */
  exposeInternalErrors?: boolean;
  /**
   * Serves only these methods (proto method names, as `$SRV.INFO` shows them: `"Average"`), so
   * that one method of a service can run on machines of its own; every method unless set.
   * Discovery shows each instance's own endpoints. Handlers are needed for these methods only:
   * `serveCalc(nc, { average }, { methods: ["Average"] })` type-checks, and a served method
   * without its handler does not.
   */
  methods?: readonly string[];
  /**
   * Resolves the message types that JSON payloads name: those packed in `google.protobuf.Any`,
   * and extensions. By default the service's file and every file it imports.
   */
  registry?: Registry;
  /**
   * Run around every request's handler, first one outermost (docs/interceptors.md): after the
   * request was decoded, within its deadline; what they throw is answered and counted like a
   * handler's error.
   */
  interceptors?: readonly Interceptor[];
  /**
   * Told of every request the host has finished with, whatever became of it (also those that
   * failed before their handler ran), with the code the stats and metrics count: for request logs.
   */
  onRequestFinished?: (request: FinishedRequest) => void;
  /**
   * More ways in to the same handlers, started with the host and stopped with it: such as
   * `serveJobs()` of `nats-micro-runtime/jobs`, which runs them as durable jobs (docs/jobs.md).
   */
  entryPoints?: readonly HostEntryPoint[];
  /**
   * The most streams served at once (docs/protocol.md, "Streaming"); a setup over it is refused
   * with `resource_exhausted`. 1000 unless set. Streams do not count against the request limits.
   */
  maxConcurrentStreams?: number;
  /**
   * How many of a caller's stream messages the host holds at most that its handler has not taken:
   * the largest credit it grants a client-streaming or bidirectional stream, which holds about
   * 1 MiB of messages of the size seen (docs/protocol.md, "Flow control"). 1024 unless set.
   */
  streamWindow?: number;
}

/** The most streams a host serves at once unless `maxConcurrentStreams` says otherwise. */
export const defaultMaxConcurrentStreams = 1_000;

/** A running instance of a service. */
export interface ServiceHost {
  /** The unique id of this instance, as `$SRV` discovery reports it. */
  readonly id: string;
  /** The service as published: name, version, the endpoints this instance serves. */
  readonly definition: ServiceDefinition;
  /** What `$SRV.INFO` answers for this instance. */
  info(): InfoResponse;
  /** What `$SRV.STATS` answers for this instance. */
  stats(): StatsResponse;
  /**
   * Stops gracefully: the endpoints leave their queue groups (new requests go to other
   * instances), requests already received are answered, then discovery stops. The connection
   * stays open; it belongs to the caller.
   */
  stop(): Promise<void>;
}

/**
 * Starts serving a proto service on a NATS connection as an ADR-32 micro service: one endpoint per
 * unary method, `$SRV` discovery, stats. Resolves once the server has every subscription; rejects,
 * naming the subjects, when the server refuses any of them (the user may not subscribe to it).
 *
 * @example
 * const host = await createHost(nc, Calc, {
 *   async average(request) {
 *     return { operation: "average", result: mean(request.values) };
 *   },
 * });
 * // ...
 * await host.stop();
 */
export function createHost<Service extends DescService>(nc: NatsConnection, service: Service, handlers: ServiceHandlers<Service>, options?: HostOptions): Promise<ServiceHost>;
/**
 * Serves only `options.methods`: handlers are needed for those only (checked as the host starts,
 * since a descriptor's type does not say which handler serves which proto method name; the
 * generated `serve<Service>` says it in the types).
 */
export function createHost<Service extends DescService>(
  nc: NatsConnection,
  service: Service,
  handlers: Partial<ServiceHandlers<Service>>,
  options: HostOptions & { methods: readonly string[] },
): Promise<ServiceHost>;
export async function createHost<Service extends DescService>(
  nc: NatsConnection,
  service: Service,
  handlers: Partial<ServiceHandlers<Service>>,
  options: HostOptions = {},
): Promise<ServiceHost> {
  const definition = servedDefinition(defineService(service, options), options.methods);
  const limits = resolveConcurrencyLimits(definition, options);
  const host: HostState = {
    serviceName: definition.name,
    inFlight: 0,
    maxInFlight: limits.host,
    exposeInternalErrors: options.exposeInternalErrors === true,
    onIdle: undefined,
    onRequestFinished: options.onRequestFinished,
  };
  const registry = options.registry ?? serviceRegistry(service);
  const { metrics } = options;
  const endpoints: HostEndpoint[] = definition.endpoints.map((endpoint) => ({
    definition: endpoint,
    handler: withInterceptors(endpoint, handlerOf(service, handlers, endpoint.method.localName, endpoint.name), options.interceptors),
    registry,
    stats: createEndpointStats(),
    // Resolved once per endpoint: a host without metrics pays one undefined check per request.
    metrics: metrics === undefined ? undefined : serverMethodMetrics(metrics, definition.name, endpoint.name),
    maxInFlight: limits.limitOf(endpoint.name),
    inFlight: 0,
    host,
  }));
  const streams: HostStreams = { running: new Set(), max: streamSetting("maxConcurrentStreams", options.maxConcurrentStreams, defaultMaxConcurrentStreams), onIdle: undefined };
  const window = streamSetting("streamWindow", options.streamWindow, defaultStreamWindow);
  const streamEndpoints: HostStreamEndpoint[] = definition.streams.map((endpoint) => ({
    definition: endpoint,
    invoke: streamInvoker(endpoint, handlerOf(service, handlers, endpoint.method.localName, endpoint.name) as never, options.interceptors ?? []),
    registry,
    stats: createEndpointStats(),
    counters: { active: 0, messagesIn: 0, messagesOut: 0 },
    metrics: metrics === undefined ? undefined : serverMethodMetrics(metrics, definition.name, endpoint.name),
    messageMetrics: metrics === undefined ? undefined : streamMessageMetrics(metrics, definition.name, endpoint.name),
    window,
    host,
    streams,
  }));
  const runningEntryPoints: RunningEntryPoint[] = [];
  const state: InstanceState = {
    definition,
    id: nuid.next(),
    started: new Date(),
    stats: [...endpoints.map((endpoint) => endpoint.stats), ...streamEndpoints.map((endpoint) => endpoint.stats)],
    endpointData: (name) => {
      const stream = streamEndpoints.find((endpoint) => endpoint.definition.name === name);
      return stream === undefined ? endpointData(runningEntryPoints, name) : { stream: streamStatsData(stream) };
    },
  };

  // The NATS responder: each request message goes through the one call path.
  const endpointSubscriptions: Subscription[] = endpoints.map((endpoint) =>
    nc.subscribe(endpoint.definition.subject, {
      ...(endpoint.definition.queueGroup === undefined ? {} : { queue: endpoint.definition.queueGroup }),
      callback: (error, msg) => {
        if (error === null) {
          void invokeUnary(endpoint, new NatsRequest(nc, msg));
        }
      },
    }),
  );
  // Each stream setup starts a stream of its own (host/serve-stream.ts).
  for (const endpoint of streamEndpoints) {
    endpointSubscriptions.push(
      nc.subscribe(endpoint.definition.subject, {
        ...(endpoint.definition.queueGroup === undefined ? {} : { queue: endpoint.definition.queueGroup }),
        callback: (error, msg) => {
          if (error === null) {
            serveStream(nc, endpoint, msg);
          }
        },
      }),
    );
  }
  const discoverySubscriptions = subscribeDiscovery(nc, definition.name, state.id, (verb) => discoveryResponse(state, verb));
  await nc.flush();
  // The server answers a subscription it does not permit with an error, before it answers the
  // flush, and nats.js closes the subscription: a host that cannot receive requests must not start.
  const subscriptions = [...endpointSubscriptions, ...discoverySubscriptions];
  const refused = subscriptions.filter((subscription) => subscription.isClosed()).map((subscription) => subscription.getSubject());
  if (refused.length > 0) {
    for (const subscription of subscriptions) {
      subscription.unsubscribe();
    }
    throw new Error(`service ${service.typeName}: the server refused to subscribe to ${refused.join(", ")}: not permitted (check the subscribe permissions of the connection's user)`);
  }
  try {
    for (const entryPoint of options.entryPoints ?? []) {
      runningEntryPoints.push(await entryPoint.start({ nc, id: state.id, definition, endpoints }));
    }
  } catch (error) {
    await Promise.allSettled([...runningEntryPoints.map((entryPoint) => entryPoint.stop()), ...subscriptions.map((subscription) => subscription.drain())]);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    id: state.id,
    definition,
    info: () => infoResponse(state),
    stats: () => statsResponse(state),
    stop() {
      stopping ??= (async () => {
        // Draining unsubscribes at the server and still delivers what it had already routed here;
        // entry points stop taking work and settle what they took meanwhile.
        await Promise.allSettled([
          ...endpointSubscriptions.map((subscription) => subscription.drain()),
          ...runningEntryPoints.map((entryPoint) => entryPoint.stop()),
        ]);
        // Streams may last for ever: their handlers are told to stop, and their ends are waited for.
        const stopping = new RpcError("the host is stopping", Code.Unavailable);
        for (const stream of streams.running) {
          stream.abort(stopping);
        }
        if (streams.running.size > 0) {
          await new Promise<void>((resolve) => (streams.onIdle = resolve));
        }
        if (host.inFlight > 0) {
          await new Promise<void>((resolve) => (host.onIdle = resolve));
        }
        // Drained too, not just unsubscribed: stop() resolves once the server has dropped every
        // subscription, so a PING sent after it finds no responders instead of a vanished listener.
        await Promise.allSettled(discoverySubscriptions.map((subscription) => subscription.drain()));
      })();
      return stopping;
    },
  };
}

// What the entry points report of an endpoint for its `data` in $SRV.STATS; `undefined` when nothing.
function endpointData(entryPoints: readonly RunningEntryPoint[], endpoint: string): Record<string, unknown> | undefined {
  let data: Record<string, unknown> | undefined;
  for (const entryPoint of entryPoints) {
    const more = entryPoint.statsData?.(endpoint);
    if (more !== undefined) {
      data = { ...data, ...more };
    }
  }
  return data;
}

// The definition with only the endpoints of `methods` (all when undefined); unknown names are an error.
function servedDefinition(definition: ServiceDefinition, methods: readonly string[] | undefined): ServiceDefinition {
  if (methods === undefined) {
    return definition;
  }
  const names = [...definition.endpoints, ...definition.streams].map((endpoint) => endpoint.name);
  const unknown = methods.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new Error(`service ${definition.service.typeName} has no method ${unknown.map((name) => `"${name}"`).join(", ")} (its methods: ${names.join(", ")})`);
  }
  if (methods.length === 0) {
    throw new Error(`service ${definition.service.typeName}: methods must name at least one method to serve (its methods: ${names.join(", ")})`);
  }
  return {
    ...definition,
    endpoints: definition.endpoints.filter((endpoint) => methods.includes(endpoint.name)),
    streams: definition.streams.filter((endpoint) => methods.includes(endpoint.name)),
  };
}

// The handler in the host's interceptors; the handler itself when there are none, so that a host
// without interceptors pays nothing for them.
function withInterceptors(endpoint: EndpointDefinition, handler: AnyUnaryHandler, interceptors: readonly Interceptor[] | undefined): AnyUnaryHandler {
  return interceptors === undefined || interceptors.length === 0 ? handler : interceptHandler(endpoint, handler, interceptors);
}

// The user's handler of a method, bound to its object: methods may use `this`.
function handlerOf(service: DescService, handlers: object, localName: string, methodName: string): AnyUnaryHandler {
  const handler = (handlers as Record<string, unknown>)[localName];
  if (typeof handler !== "function") {
    throw new Error(`service ${service.typeName}: no handler for method ${methodName} (expected a function "${localName}")`);
  }
  return handler.bind(handlers) as AnyUnaryHandler;
}

// What `$SRV.STATS` shows of a streaming endpoint beyond the request counts.
function streamStatsData(endpoint: HostStreamEndpoint): Record<string, number> {
  const { active, messagesIn, messagesOut } = endpoint.counters;
  return { active, messages_in: messagesIn, messages_out: messagesOut };
}
