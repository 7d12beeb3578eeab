import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRegistry, type DescMessage, type DescMethod, type DescService, type Message, type Registry } from "@bufbuild/protobuf";
import { createClient, type ClientOptions, type ServerStreamingCall, type UnaryCall } from "../client/create-client.js";
import type { Interceptor } from "../interceptors/interceptor.js";
import type { RpcMetrics } from "../metrics/rpc-metrics.js";
import { Code } from "../protocol/code.js";
import { httpStatusFromCode } from "../protocol/code-tables.js";
import { encodeMessage, type Encoding } from "../protocol/codec.js";
import { RpcError } from "../protocol/rpc-error.js";
import { defineService } from "../service/service-definition.js";
import { serviceRegistry } from "../service/service-registry.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { serviceAnswersPing } from "../transport/nats/service-ping.js";
import { connectContentType, connectEncoding, connectErrorBody, connectGetRequest, connectPostRequest } from "./connect-unary.js";
import { answerPreflight, applyCors, isPreflight, type CorsOptions } from "./cors.js";
import { restErrorBody } from "./error-body.js";
import type { GatewayMetrics } from "./gateway-metrics.js";
import { defaultForwardedHeaders, forwardedHeaders, requestedTimeoutMs, returnedHeaders, successStatus } from "./gateway-headers.js";
import { gatewayRoutes, type GatewayTarget } from "./gateway-routes.js";
import { openApiDocument } from "./openapi-document.js";
import { BodyTooLarge, readBody } from "./read-body.js";
import { restRequestMessage } from "./rest-request.js";
import { restResponseBody, type RestJsonOptions } from "./rest-response.js";
import { sendResponse } from "./send-response.js";
import { sendStream } from "./send-stream.js";
import { streamContentType, streamFormat } from "./stream-format.js";
import { createRouter, type RouteMatch, type Router } from "./router.js";

/** What an application's error renderer gets besides the error. */
export interface ErrorRenderContext {
  /** The method called; `undefined` when no route matched. */
  readonly method: DescMethod | undefined;
  readonly request: IncomingMessage;
  /** The request body as text (empty when there was none or it was not read). */
  readonly body: string;
}

/** An HTTP error response of an application's own making. */
export interface RenderedError {
  readonly status: number;
  readonly body: string;
  /** `application/json` by default. */
  readonly contentType?: string;
}

/**
 * Renders the HTTP response of a failed REST call (the Connect routes keep the Connect protocol's
 * errors); `undefined` leaves the gateway's `google.rpc.Status` body.
 */
export type RenderError = (error: RpcError, context: ErrorRenderContext) => RenderedError | undefined;

/** Options of {@link serveGateway}. */
export interface GatewayOptions {
  /** Address to listen on; `127.0.0.1` by default. */
  host?: string;
  /** Port to listen on; 8080 by default, 0 for any free port. */
  port?: number;
  /** Largest request body in bytes (413 above it); the NATS server's `max_payload` by default, never more. */
  maxBodyBytes?: number;
  /**
   * Longest deadline a request may ask for or get, in milliseconds; 60 s by default. A stream
   * without a deadline header has none (but its method's `timeout` option), whatever this is.
   * Also how long `close()` waits for the requests in flight (it ends streams at once).
   */
  maxTimeoutMs?: number;
  /** Requests served at once; more are refused with 503 and `Retry-After` at once. 10,000 by default. */
  maxConcurrentRequests?: number;
  /** Time a client has to send a whole request, in milliseconds (slow clients get 408); 30 s by default. */
  requestTimeoutMs?: number;
  /** Cross-origin requests to allow; none unless set. */
  cors?: CorsOptions;
  /** Request headers passed on to the services besides {@link defaultForwardedHeaders}, lower case. */
  forwardHeaders?: readonly string[];
  /** JSON of REST replies; see {@link RestJsonOptions}. */
  json?: RestJsonOptions;
  /** Renders REST errors in an application's own shape. */
  renderError?: RenderError;
  /** Responses at least this large are compressed (brotli or gzip) when the client accepts it; 1024 bytes by default. */
  compressMinBytes?: number;
  /** Client interceptors run around every call (tracing, validation, ...), first one outermost. */
  interceptors?: readonly Interceptor[];
  /** RPC metrics of the calls the gateway makes (the client's side). */
  metrics?: RpcMetrics;
  /** HTTP metrics per route (`createGatewayMetrics` of "nats-micro-runtime/metrics"). */
  httpMetrics?: GatewayMetrics;
  /** Resolves `google.protobuf.Any` and error details in JSON; the services' files and their imports by default. */
  registry?: Registry;
  /**
   * The document served at `/openapi.json`: the plugin's `<file>.openapi.json`, with the proto
   * comments as descriptions. Unless set, one made from the descriptors, which carry no comments.
   */
  openApi?: unknown;
  /**
   * Sends the NATS requests of one turn of the event loop in one write (see `ClientOptions.batchWrites`):
   * true by default, since a gateway under load has many requests in flight.
   */
  batchWrites?: boolean;
  /**
   * The largest credit each stream grants its host (see `ClientOptions.streamWindow`): the replies
   * that wait in the gateway for a slow HTTP client are about 1 MiB at most, and never more than
   * this many, besides what the connection buffers.
   */
  streamWindow?: number;
  /** Options of each service's client, such as its ADR-32 name when the host overrides it. */
  clientOptions?: (service: DescService) => Pick<ClientOptions, "name" | "timeoutMs" | "retry" | "transport"> | undefined;
}

/** An answer of the gateway's own paths (/healthz, /readyz, /openapi.json). */
interface BuiltInResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** A running gateway. */
export interface Gateway {
  /** `http://host:port`, with the port the server got. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /**
   * Stops gracefully: refuses new requests (503, and `/readyz` fails), ends the streams going
   * with an `unavailable` error (and cancels them on their hosts), lets the requests in flight
   * finish (up to `maxTimeoutMs`), then closes the connections. The NATS connection stays the caller's.
   */
  close(): Promise<void>;
}

/** The default of {@link GatewayOptions.maxTimeoutMs}. */
export const defaultGatewayMaxTimeoutMs = 60_000;

/**
 * Serves services over HTTP: each `google.api.http` binding of their unary and server-streaming
 * methods as a REST route, every unary method in the Connect protocol at
 * `POST /<package>.<Service>/<Method>` (and every server-streaming one there with a JSON request),
 * and `/healthz`, `/readyz` and `/openapi.json`. Each request becomes one call of the service over
 * NATS, through the same client path (and client interceptors) as any other caller's; the replies
 * of a stream go out as newline-delimited JSON, or as Server-Sent Events when asked for.
 *
 * @example
 * const gateway = await serveGateway(nc, [Football], { port: 8080, cors: { origins: ["https://app.example.com"] } });
 */
export async function serveGateway(nc: NatsConnection, services: readonly DescService[], options: GatewayOptions = {}): Promise<Gateway> {
  const router = createRouter(gatewayRoutes(services));
  const registry = options.registry ?? createRegistry(...services.map((service) => serviceRegistry(service)));
  const calls = new Map<DescMethod, UnaryCall<DescMessage, DescMessage>>();
  const streamCalls = new Map<DescMethod, ServerStreamingCall<DescMessage, DescMessage>>();
  const serviceNames: string[] = [];
  for (const service of services) {
    // Asked once per service: the options may build a transport (a job client) of their own.
    const clientOptions = options.clientOptions?.(service);
    serviceNames.push(defineService(service, clientOptions ?? {}).name);
    const client = createClient(nc, service, {
      ...clientOptions,
      registry,
      batchWrites: options.batchWrites ?? true,
      ...(options.streamWindow === undefined ? {} : { streamWindow: options.streamWindow }),
      ...(options.interceptors === undefined ? {} : { interceptors: options.interceptors }),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    }) as Record<string, unknown>;
    for (const method of service.methods) {
      const call = client[method.localName];
      if (call === undefined) {
        continue;
      }
      if (method.methodKind === "unary") {
        calls.set(method, call as UnaryCall<DescMessage, DescMessage>);
      } else if (method.methodKind === "server_streaming") {
        streamCalls.set(method, call as ServerStreamingCall<DescMessage, DescMessage>);
      }
    }
  }
  const maxTimeoutMs = options.maxTimeoutMs ?? defaultGatewayMaxTimeoutMs;
  const maxConcurrent = options.maxConcurrentRequests ?? 10_000;
  const forwarded = [...new Set([...defaultForwardedHeaders, ...(options.forwardHeaders ?? []).map((name) => name.toLowerCase())])];
  const compressMinBytes = options.compressMinBytes ?? 1024;
  // Made on the first request for it: most gateways are never asked.
  let openApiJson: string | undefined = options.openApi === undefined ? undefined : JSON.stringify(options.openApi);
  let inFlight = 0;
  // Streams in flight, which close() ends at once: a stream may never end by itself.
  const streams = new Set<StreamInFlight>();
  let draining = false;
  let drained: (() => void) | undefined;

  const maxBodyBytes = (): number => Math.min(options.maxBodyBytes ?? Number.MAX_SAFE_INTEGER, nc.info?.max_payload ?? Number.MAX_SAFE_INTEGER);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = request.url ?? "/";
    const queryStart = url.indexOf("?");
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const query = queryStart === -1 ? "" : url.slice(queryStart + 1);
    const httpMethod = request.method ?? "GET";
    let route = "unmatched";
    const finish = (status: number) => {
      options.httpMetrics?.requests.inc({ route, method: httpMethod, status: String(status) });
      options.httpMetrics?.duration.observe({ route, method: httpMethod }, (performance.now() - started) / 1000);
    };
    const requestId = headerText(request, "x-request-id") ?? randomUUID();
    response.setHeader("X-Request-Id", requestId);

    if (isPreflight(request)) {
      answerPreflight(options.cors, request, response, preflightMethods(router, path, headerText(request, "access-control-request-method")?.toUpperCase() ?? "GET"));
      finish(response.statusCode);
      return;
    }
    if (!applyCors(options.cors, request, response)) {
      finish(sendPlainError(response, new RpcError(`origin ${request.headers.origin ?? ""} is not allowed`, Code.PermissionDenied), request));
      return;
    }
    if (httpMethod === "GET" || httpMethod === "HEAD") {
      // Awaited only for the path that waits: every GET of a REST route passes here.
      const found = builtInResponse(path);
      const builtIn = found instanceof Promise ? await found : found;
      if (builtIn !== undefined) {
        response.writeHead(builtIn.status, { "Content-Type": builtIn.contentType, "Cache-Control": "no-store" }).end(builtIn.body);
        finish(builtIn.status);
        return;
      }
    }
    let match: RouteMatch<GatewayTarget>;
    try {
      match = router.match(httpMethod, path);
    } catch (reason) {
      // A variable's segment that is not valid percent-encoded UTF-8.
      request.resume();
      finish(sendPlainError(response, new RpcError(`malformed path ${path}: ${reason instanceof Error ? reason.message : String(reason)}`, Code.InvalidArgument), request));
      return;
    }
    if (match.kind === "not-found") {
      request.resume();
      finish(sendPlainError(response, new RpcError(`no route for ${httpMethod} ${path}`, Code.NotFound), request, 404));
      return;
    }
    if (match.kind === "method-not-allowed") {
      request.resume();
      response.setHeader("Allow", match.allow.join(", "));
      finish(sendPlainError(response, new RpcError(`${httpMethod} is not allowed on ${path}: use ${match.allow.join(", ")}`, Code.Unimplemented), request, 405));
      return;
    }
    const target = match.route.value;
    route = target.protocol === "rest" ? target.binding.description : `${match.route.httpMethod} /${target.method.parent.typeName}/${target.method.name}`;
    if (draining || inFlight >= maxConcurrent) {
      request.resume();
      response.setHeader("Retry-After", "1");
      if (draining) {
        response.setHeader("Connection", "close");
      }
      const error = new RpcError(draining ? "the gateway is shutting down" : `the gateway is serving its limit of ${maxConcurrent} requests`, Code.Unavailable);
      finish(sendError(response, target, error, request, ""));
      return;
    }
    inFlight += 1;
    let bodyText = "";
    try {
      const body = await readBody(request, maxBodyBytes());
      // Before decoding, so that an error renderer sees the body that could not be decoded.
      bodyText = target.protocol === "rest" ? body.toString("utf8") : "";
      const { message, encoding } = decodeRequest(target, match.variables, query, body, bodyText, request);
      const headers = forwardedHeaders(request.headers, forwarded, request.socket.remoteAddress, requestId);
      const requested = requestedTimeoutMs(request.headers);
      if (target.method.methodKind === "server_streaming") {
        finish(await serveStream(target, message, request, response, headers, requested));
        return;
      }
      let replyHeaders: Headers | undefined;
      const call = calls.get(target.method)!;
      // A client that goes away does not cancel the call: a unary request on NATS cannot be
      // called back, so its reply is dropped with the closed response.
      const reply = await call(message, {
        ...(requested === undefined ? {} : { timeoutMs: Math.min(requested, maxTimeoutMs) }),
        headers,
        onHeader: (header) => {
          replyHeaders = header;
        },
      });
      if (response.destroyed) {
        finish(499);
        return;
      }
      for (const [name, value] of returnedHeaders(replyHeaders)) {
        response.setHeader(name, value);
      }
      if (target.protocol === "rest") {
        const json = restResponseBody(target.binding, reply, registry, options.json);
        await sendResponse(request, response, successStatus(replyHeaders), "application/json", json, compressMinBytes);
        finish(response.statusCode);
      } else {
        const payload = encodeMessage(target.method.output, reply, encoding, registry);
        await sendResponse(request, response, 200, connectContentType[encoding], payload, compressMinBytes);
        finish(200);
      }
    } catch (reason) {
      const error = RpcError.from(reason);
      if (!response.headersSent && !response.destroyed) {
        finish(sendError(response, target, error, request, bodyText));
      }
    } finally {
      inFlight -= 1;
      if (draining && inFlight === 0) {
        drained?.();
      }
    }
  }

  // Calls a server-streaming method and writes its replies as they come. An error before the first
  // reply is thrown, for the normal error response; the status sent (499 when the client left).
  async function serveStream(
    target: GatewayTarget,
    message: Message,
    request: IncomingMessage,
    response: ServerResponse,
    headers: Record<string, string>,
    requested: number | undefined,
  ): Promise<number> {
    const format = streamFormat(request.headers.accept);
    const contentHeaders = { "Content-Type": streamContentType[format], "Cache-Control": "no-cache", "X-Accel-Buffering": "no" };
    if (request.method === "HEAD") {
      // No body would be sent: the stream is not started.
      response.writeHead(200, contentHeaders).end();
      return 200;
    }
    const canceler = new AbortController();
    const cancel = () => canceler.abort();
    // A client that leaves before the first reply cancels the stream too.
    response.once("close", cancel);
    let replyHeaders: Headers | undefined;
    // The deadline headers as for a unary call; without one, a stream may last as long as its client reads it.
    const replies = streamCalls.get(target.method)!(message, {
      ...(requested === undefined ? {} : { timeoutMs: Math.min(requested, maxTimeoutMs) }),
      headers,
      signal: canceler.signal,
      onHeader: (header) => {
        replyHeaders = header;
      },
    })[Symbol.asyncIterator]();
    let stop!: (error: RpcError) => void;
    const stopped = new Promise<RpcError>((resolve) => (stop = resolve));
    let ended!: () => void;
    const stream: StreamInFlight = {
      stop: () => stop(new RpcError("the gateway is shutting down", Code.Unavailable)),
      ended: new Promise((resolve) => (ended = resolve)),
    };
    streams.add(stream);
    try {
      let first: IteratorResult<Message>;
      try {
        first = await Promise.race([
          replies.next(),
          stopped.then((error): never => {
            cancel();
            throw error;
          }),
        ]);
      } catch (reason) {
        if (response.destroyed) {
          return 499;
        }
        throw reason;
      }
      response.off("close", cancel);
      if (response.destroyed) {
        cancel();
        void Promise.resolve(replies.return?.()).catch(() => undefined);
        return 499;
      }
      for (const [name, value] of returnedHeaders(replyHeaders)) {
        response.setHeader(name, value);
      }
      response.writeHead(200, contentHeaders);
      const binding = target.protocol === "rest" ? target.binding : { method: target.method, responseBody: undefined };
      const outcome = await sendStream(response, first, replies, {
        format,
        replyJson: (reply) => restResponseBody(binding, reply, registry, options.json),
        errorJson: (error) => restErrorBody(error, registry),
        stopped,
        cancel,
      });
      return outcome === "disconnected" ? 499 : 200;
    } finally {
      response.off("close", cancel);
      streams.delete(stream);
      ended();
    }
  }

  function decodeRequest(
    target: GatewayTarget,
    variables: ReadonlyMap<string, string>,
    query: string,
    body: Buffer,
    bodyText: string,
    request: IncomingMessage,
  ): { message: Message; encoding: Encoding } {
    if (target.protocol === "rest") {
      return { message: restRequestMessage(target.binding, { variables, query, body: bodyText }, registry), encoding: "json" };
    }
    if (request.method === "GET") {
      return connectGetRequest(target.method, query, registry);
    }
    const encoding = connectEncoding(request.headers["content-type"]);
    if (encoding === undefined) {
      throw new UnsupportedMediaType(request.headers["content-type"] ?? "");
    }
    return { message: connectPostRequest(target.method, body, encoding, registry), encoding };
  }

  // The status sent.
  function sendError(response: ServerResponse, target: GatewayTarget, error: RpcError, request: IncomingMessage, body: string): number {
    if (error instanceof UnsupportedMediaType) {
      response.writeHead(415, { "Content-Type": "application/json", Accept: "application/json, application/proto" }).end(connectErrorBody(error));
      return 415;
    }
    const status = error instanceof BodyTooLarge ? 413 : httpStatusFromCode(error.code);
    if (error instanceof BodyTooLarge) {
      response.setHeader("Connection", "close");
    }
    if (target.protocol === "connect") {
      response.writeHead(status, { "Content-Type": "application/json" }).end(connectErrorBody(error));
      return status;
    }
    return sendRestError(response, error, { method: target.method, request, body }, status);
  }

  // A request that reached no method: the REST error, rendered as any other.
  function sendPlainError(response: ServerResponse, error: RpcError, request: IncomingMessage, status = httpStatusFromCode(error.code)): number {
    return sendRestError(response, error, { method: undefined, request, body: "" }, status);
  }

  // The application's rendering of a REST error, else the google.rpc.Status body; the status sent.
  function sendRestError(response: ServerResponse, error: RpcError, context: ErrorRenderContext, status: number): number {
    const rendered = options.renderError?.(error, context);
    if (rendered !== undefined) {
      response.writeHead(rendered.status, { "Content-Type": rendered.contentType ?? "application/json" }).end(rendered.body);
      return rendered.status;
    }
    response.writeHead(status, { "Content-Type": "application/json" }).end(restErrorBody(error, registry));
    return status;
  }

  // The answers of the gateway's own paths; the one that waits (/readyz) gives a promise.
  function builtInResponse(path: string): BuiltInResponse | Promise<BuiltInResponse> | undefined {
    switch (path) {
      case "/healthz":
        return { status: 200, contentType: "text/plain", body: "ok\n" };
      case "/readyz":
        return draining ? { status: 503, contentType: "text/plain", body: "draining\n" } : readiness();
      case "/openapi.json":
        openApiJson ??= JSON.stringify(openApiDocument(services));
        return { status: 200, contentType: "application/json", body: openApiJson };
      default:
        return undefined;
    }
  }

  async function readiness(): Promise<BuiltInResponse> {
    const answers = await Promise.all(serviceNames.map((name) => serviceAnswersPing(nc, name, 1000)));
    const missing = serviceNames.filter((_, index) => !answers[index]);
    return missing.length === 0
      ? { status: 200, contentType: "text/plain", body: "ready\n" }
      : { status: 503, contentType: "text/plain", body: `no instance of ${missing.join(", ")} answers\n` };
  }

  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const serverOptions = {
    requestTimeout,
    headersTimeout: requestTimeout,
    // How often node looks for requests past their time (30 s by default, longer than a short timeout).
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(requestTimeout / 4))),
    // Longer than the idle timeouts of common load balancers (60 s), so that they close first.
    keepAliveTimeout: 65_000,
  };
  const server = createServer(serverOptions, (request, response) => {
    handle(request, response).catch((reason: unknown) => {
      // A bug of the gateway's own: the request still gets an answer, and the server keeps serving.
      if (!response.headersSent) {
        response.writeHead(500, { "Content-Type": "application/json" }).end(restErrorBody(new RpcError(`gateway failure: ${String(reason)}`, Code.Internal), registry));
      } else {
        response.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    server,
    async close() {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Streams end at once, with an error that says why (a stream may be endless, as a host's
      // may), each canceled on its host; the requests in flight get their grace.
      const going = [...streams];
      for (const stream of going) {
        stream.stop();
      }
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((resolve) => (drained = resolve)), new Promise((resolve) => setTimeout(resolve, maxTimeoutMs).unref())]);
      }
      await Promise.all(going.map((stream) => stream.ended));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A stream the gateway is serving, which `close()` can end. */
interface StreamInFlight {
  stop(): void;
  /** Resolves once its response has ended. */
  readonly ended: Promise<void>;
}

// The methods a preflight may be told a path takes.
function preflightMethods(router: Router<GatewayTarget>, path: string, requested: string): readonly string[] {
  try {
    const match = router.match(requested, path);
    return match.kind === "found" ? [requested] : match.kind === "method-not-allowed" ? match.allow : [];
  } catch {
    return [];
  }
}

function headerText(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** A Connect POST of a media type the protocol does not take: 415. */
class UnsupportedMediaType extends RpcError {
  constructor(contentType: string) {
    super(`unsupported Content-Type "${contentType}": use application/json or application/proto`, Code.InvalidArgument);
  }
}
