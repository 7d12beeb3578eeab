import { create, type DescMessage, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { headers as createHeaders, Match, nuid, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "nats";
import { Code } from "./code.js";
import { decodeMessage, encodeMessage, encodingFromContentType, jsonContentType, type Encoding } from "./codec.js";
import { createConcurrencyLimiter, type ConcurrencyLimits } from "./concurrency-limit.js";
import { parseTimeoutHeader } from "./deadline.js";
import { isPromiseLike, untilDeadline } from "./handler-deadline.js";
import { createEndpointStats, recordRequest, type EndpointStats } from "./endpoint-stats.js";
import { setErrorHeaders } from "./error-headers.js";
import { createServerCallContext, type ServerCallContext } from "./handler-context.js";
import { infoResponse, statsResponse, subscribeDiscovery, type InfoResponse, type InstanceState, type StatsResponse } from "./micro-discovery.js";
import { HeaderName } from "./protocol-headers.js";
import { RpcError } from "./rpc-error.js";
import { okCode, serverMethodMetrics, type MethodMetrics, type RpcMetrics } from "./rpc-metrics.js";
import { defineService, type EndpointDefinition, type ServiceDefinition, type ServiceDefinitionOptions } from "./service-definition.js";
import type { ServiceHandlers, UnaryHandler } from "./service-handlers.js";
import { tryRespond } from "./try-respond.js";

/**
 * Options of {@link createHost}. The concurrency limits (`maxConcurrentRequests`,
 * `maxConcurrentRequestsByMethod`) make a host answer requests over them at once with
 * `resource_exhausted` (429) instead of queueing them; such requests count as errors in the stats.
 */
export interface HostOptions extends ServiceDefinitionOptions, ConcurrencyLimits {
  /**
   * Prometheus metrics to record every request in (see `createRpcMetrics`): count by code,
   * latency, requests in flight. Without it the host records none and pays nothing for them.
   */
  metrics?: RpcMetrics;
  /**
   * Send callers the message of errors that are not an `RpcError` (a bug, an error from a library
   * or from Node, such as `ENOENT: no such file or directory, open '/srv/app/config.json'`). Off
   * by default: callers get `internal` with the message {@link internalErrorMessage}, and the
   * message itself stays on the host, in `$SRV.STATS`'s `last_error`. Stacks are never sent.
   */
  exposeInternalErrors?: boolean;
}

/** What callers are told of an error that is not an `RpcError`, unless the host exposes it. */
export const internalErrorMessage = "internal error";

/** A running instance of a service. */
export interface ServiceHost {
  /** The unique id of this instance, as `$SRV` discovery reports it. */
  readonly id: string;
  /** The service as published: name, version, endpoints. */
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

/** The longest `last_error` that `$SRV.STATS` reports, in bytes of UTF-8. */
const maxLastErrorBytes = 1_024;

// Anything a handler may return; the output schema checks it when the reply is built.
type AnyUnaryHandler = UnaryHandler<never, never>;

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
export async function createHost<Service extends DescService>(
  nc: NatsConnection,
  service: Service,
  handlers: ServiceHandlers<Service>,
  options: HostOptions = {},
): Promise<ServiceHost> {
  const definition = defineService(service, options);
  const handlerOf = (endpoint: EndpointDefinition): AnyUnaryHandler => {
    const handler = (handlers as Record<string, unknown>)[endpoint.method.localName];
    if (typeof handler !== "function") {
      throw new Error(`service ${service.typeName}: no handler for method ${endpoint.name} (expected a function "${endpoint.method.localName}")`);
    }
    return handler.bind(handlers) as AnyUnaryHandler;
  };
  const endpointHandlers = definition.endpoints.map(handlerOf);
  const limiter = createConcurrencyLimiter(definition, options);
  const state: InstanceState = {
    definition,
    id: nuid.next(),
    started: new Date(),
    stats: definition.endpoints.map(createEndpointStats),
  };

  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  const track = (call: Promise<void>) => {
    inFlight += 1;
    void call.finally(() => {
      inFlight -= 1;
      if (inFlight === 0) {
        onIdle?.();
      }
    });
  };

  const { metrics } = options;
  const exposeInternalErrors = options.exposeInternalErrors === true;
  const endpointSubscriptions: Subscription[] = definition.endpoints.map((endpoint, index) => {
    const handler = endpointHandlers[index]!;
    const stats = state.stats[index]!;
    // Resolved once per endpoint: a host without metrics pays one undefined check per request.
    const methodMetrics = metrics === undefined ? undefined : serverMethodMetrics(metrics, definition.name, endpoint.name);
    return nc.subscribe(endpoint.subject, {
      ...(endpoint.queueGroup === undefined ? {} : { queue: endpoint.queueGroup }),
      callback: (error, msg) => {
        if (error === null) {
          methodMetrics?.started();
          if (limiter === undefined) {
            track(serveRequest(nc, definition.service, endpoint, handler, stats, msg, methodMetrics, exposeInternalErrors));
            return;
          }
          const overLimit = limiter.acquire(index);
          if (overLimit !== undefined) {
            refuseRequest(nc, msg, overLimit, stats, methodMetrics);
            return;
          }
          track(serveRequest(nc, definition.service, endpoint, handler, stats, msg, methodMetrics, exposeInternalErrors).finally(() => limiter.release(index)));
        }
      },
    });
  });
  const discoverySubscriptions = subscribeDiscovery(nc, state);
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

  let stopping: Promise<void> | undefined;
  return {
    id: state.id,
    definition,
    info: () => infoResponse(state),
    stats: () => statsResponse(state),
    stop() {
      stopping ??= (async () => {
        // Draining unsubscribes at the server and still delivers what it had already routed here.
        await Promise.allSettled(endpointSubscriptions.map((subscription) => subscription.drain()));
        if (inFlight > 0) {
          await new Promise<void>((resolve) => (onIdle = resolve));
        }
        // Drained too, not just unsubscribed: stop() resolves once the server has dropped every
        // subscription, so a PING sent after it finds no responders instead of a vanished listener.
        await Promise.allSettled(discoverySubscriptions.map((subscription) => subscription.drain()));
      })();
      return stopping;
    },
  };
}

/**
 * Serves one request from arrival to reply. Never throws: whatever goes wrong becomes an error
 * reply, counted in the endpoint's stats (and its metrics, when the host has them; the caller
 * counted the request as in flight).
 */
async function serveRequest(
  nc: NatsConnection,
  service: DescService,
  endpoint: EndpointDefinition,
  handler: AnyUnaryHandler,
  stats: EndpointStats,
  msg: Msg,
  methodMetrics: MethodMetrics | undefined,
  exposeInternalErrors: boolean,
): Promise<void> {
  const startedAt = process.hrtime.bigint();
  const { method } = endpoint;
  let encoding: Encoding = "binary";
  let context: ServerCallContext | undefined;
  let deadlineExpired = false;
  try {
    encoding = encodingFromContentType(msg.headers?.get(HeaderName.ContentType, Match.IgnoreCase) ?? "");
    // The caller's deadline, else the method's default from its proto options.
    const timeoutMs = parseTimeoutHeader(msg.headers?.get(HeaderName.Timeout, Match.IgnoreCase) ?? "") ?? endpoint.timeoutMs;
    const request = decodeMessage(method.input, msg.data, encoding);
    const callContext = createServerCallContext(service, method, msg, encoding, timeoutMs === undefined ? undefined : Date.now() + timeoutMs);
    context = callContext;
    // Awaited only when the handler returns a promise: a reply that is ready at once is sent in
    // the turn the request arrived in, in one socket write with the replies around it.
    let result: unknown = handler(request as never, callContext);
    if (isPromiseLike(result)) {
      result =
        timeoutMs === undefined
          ? await result
          : await untilDeadline(result, timeoutMs, (error) => {
              deadlineExpired = true;
              callContext.abort(error);
            });
    }
    const payload = encodeResponse(endpoint, result, encoding);
    const headers = replyHeaders(encoding, callContext.responseHeaderIfUsed());
    const size = wireSize(payload, headers);
    const maxPayload = nc.info?.max_payload;
    if (maxPayload !== undefined && size > maxPayload) {
      throw new RpcError(`reply of ${size} bytes (payload and headers) exceeds the server's max_payload of ${maxPayload} bytes`, Code.ResourceExhausted);
    }
    tryRespond(msg, payload, headers);
    recordRequest(stats, startedAt, undefined);
    methodMetrics?.finished(startedAt, okCode);
  } catch (reason) {
    const error = RpcError.from(reason, Code.Internal);
    // Past the deadline the caller has given up: a late reply would only be noise.
    if (!deadlineExpired) {
      // The message of an error the handler did not mean to send may hold paths and internals.
      const reply = reason instanceof RpcError || exposeInternalErrors ? error : new RpcError(internalErrorMessage, Code.Internal);
      respondWithError(nc, msg, reply, encoding, context?.responseHeaderIfUsed());
    }
    recordFailure(stats, startedAt, error, methodMetrics);
  }
}

/** Counts a failed request in the endpoint's stats and metrics. */
function recordFailure(stats: EndpointStats, startedAt: bigint, error: RpcError, methodMetrics: MethodMetrics | undefined): void {
  // Cut, so that one huge message cannot take $SRV.STATS replies over the server's max_payload.
  recordRequest(stats, startedAt, cutToBytes(`${error.code}: ${error.rawMessage}`, maxLastErrorBytes));
  methodMetrics?.finished(startedAt, error.code);
}

/**
 * Answers a request at once with an error, without running its handler (the host is at its
 * concurrency limit), and counts it like any other failed request.
 */
function refuseRequest(nc: NatsConnection, msg: Msg, error: RpcError, stats: EndpointStats, methodMetrics: MethodMetrics | undefined): void {
  const startedAt = process.hrtime.bigint();
  let encoding: Encoding = "binary";
  try {
    encoding = encodingFromContentType(msg.headers?.get(HeaderName.ContentType, Match.IgnoreCase) ?? "");
  } catch {
    // The limit is what the caller needs to hear about; a bad Content-Type gets a binary reply.
  }
  respondWithError(nc, msg, error, encoding, undefined);
  recordFailure(stats, startedAt, error, methodMetrics);
}

/** Builds the reply payload from whatever the handler returned. */
function encodeResponse(endpoint: EndpointDefinition, result: unknown, encoding: Encoding): Uint8Array {
  if (typeof result !== "object" || result === null) {
    throw new RpcError(`handler for ${endpoint.name} returned ${result === null ? "null" : typeof result}, not a ${endpoint.method.output.typeName}`, Code.Internal);
  }
  return encodeMessage(endpoint.method.output, create(endpoint.method.output, result as MessageInitShape<DescMessage>), encoding);
}

/** The reply's headers: its content type when JSON, and whatever the handler set. */
function replyHeaders(encoding: Encoding, responseHeader: Headers | undefined): MsgHdrs | undefined {
  if (encoding === "binary" && responseHeader === undefined) {
    return undefined;
  }
  const headers = createHeaders();
  responseHeader?.forEach((value, key) => headers.append(key, value));
  if (encoding === "json") {
    headers.set(HeaderName.ContentType, jsonContentType, Match.IgnoreCase);
  } else {
    // The reply's encoding is the request's, whatever the handler set.
    headers.delete(HeaderName.ContentType, Match.IgnoreCase);
  }
  return headers;
}

/**
 * Sends an error reply. The server refuses a message larger than its max_payload, and a refused
 * reply leaves the caller waiting for its timeout; so when the handler's headers or a long message
 * would take the reply over the limit, it goes without the handler's headers and with the message
 * cut to fit.
 */
function respondWithError(nc: NatsConnection, msg: Msg, error: RpcError, encoding: Encoding, responseHeader: Headers | undefined): void {
  const empty = new Uint8Array(0);
  const headers = replyHeaders(encoding, responseHeader) ?? createHeaders();
  setErrorHeaders(headers, error);
  const maxPayload = nc.info?.max_payload;
  if (maxPayload === undefined || wireSize(empty, headers) <= maxPayload) {
    tryRespond(msg, empty, headers);
    return;
  }
  const bare = replyHeaders(encoding, undefined) ?? createHeaders();
  // Room for the protocol's own headers, whose values are short.
  const room = Math.max(0, maxPayload - wireSize(empty, bare) - 256);
  setErrorHeaders(bare, new RpcError(cutToBytes(error.rawMessage, room), error.code));
  tryRespond(msg, empty, bare);
}

/**
 * Bytes a message counts against the server's max_payload: its payload and its header block
 * (`NATS/1.0`, one `name: value` line per value, a blank line).
 */
function wireSize(payload: Uint8Array, headers: MsgHdrs | undefined): number {
  if (headers === undefined) {
    return payload.length;
  }
  let size = payload.length + Buffer.byteLength("NATS/1.0\r\n\r\n");
  for (const [name, values] of headers) {
    for (const value of values) {
      size += Buffer.byteLength(`${name}: ${value}\r\n`);
    }
  }
  return size;
}

/** The text cut to at most `maxBytes` bytes of UTF-8, marked with "..." where it was cut. */
function cutToBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) {
    return text;
  }
  // Decoding may end in half a character: drop it rather than send a replacement character.
  return `${bytes.subarray(0, Math.max(0, maxBytes - 3)).toString("utf8").replace(/\uFFFD$/, "")}...`;
}
