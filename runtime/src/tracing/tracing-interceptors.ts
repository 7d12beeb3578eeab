import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import type { Interceptor, StreamRequest, StreamResponse, UnaryRequest } from "../interceptors/interceptor.js";
import { onStreamEnd } from "../interceptors/stream-messages.js";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";

/**
 * The value of `rpc.system` on our spans. The registered values (`grpc`, `connect_rpc`, ...) name
 * other protocols, and `nats` is a `messaging.system` value for NATS messaging itself: these spans
 * are RPC spans of the NATS micro protocol (ADR-32) that the runtime speaks.
 */
export const rpcSystem = "nats_micro";

/** The attribute that carries the call's RPC code (`ok` or one of `Code`), as `rpc.grpc.status_code` does for gRPC. */
export const codeAttribute = "rpc.nats_micro.code";

/** What the tracing interceptors need. */
export interface TracingOptions {
  /** Where spans come from: the globally registered provider when not given. */
  readonly tracerProvider?: TracerProvider;
  /**
   * The NATS connection, for `server.address` and `server.port` (the server it is connected to
   * at the time of the call). Anything with nats.js's `getServer()` will do.
   */
  readonly connection?: { getServer(): string };
}

const instrumentationName = "nats-micro-runtime";

// Headers as the carrier of the propagation API: W3C trace context (`traceparent`, `tracestate`),
// or whatever propagator the application registered.
const headerSetter: TextMapSetter<Headers> = {
  set: (carrier, key, value) => carrier.set(key, value),
};
const headerGetter: TextMapGetter<Headers> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  keys: (carrier) => [...carrier.keys()],
};

/**
 * Traces every call of a client: a CLIENT span per call (retries included), with the trace context
 * sent in the request's headers, so that the host's {@link hostTracingInterceptor} continues the
 * trace. The span is a child of the active span, else of the trace context the call's own headers
 * carry (a gateway's forwarded `traceparent`). Put it first in `interceptors`, so that it sees the
 * whole call.
 *
 * @example
 * const calc = new CalcClient(nc, { interceptors: [clientTracingInterceptor({ connection: nc })] });
 */
export function clientTracingInterceptor(options: TracingOptions = {}): Interceptor {
  let tracer: Tracer | undefined;
  // The active span's child; without one, a child of the trace the request's headers carry, as
  // a gateway passes on an HTTP caller's `traceparent`. Its context goes in the request's headers.
  const startCall = (request: UnaryRequest | StreamRequest) => {
    tracer ??= tracerOf(options);
    const active = context.active();
    const parent = trace.getSpan(active) === undefined ? propagation.extract(active, request.header, headerGetter) : active;
    const span = tracer.startSpan(spanName(request), { kind: SpanKind.CLIENT, attributes: attributesOf(request, options) }, parent);
    const callContext = trace.setSpan(parent, span);
    propagation.inject(callContext, request.header, headerSetter);
    return { span, callContext };
  };
  const interceptor: Interceptor = (next) => async (request) => {
    const { span, callContext } = startCall(request);
    return finish(span, context.with(callContext, () => next(request)), true);
  };
  // A stream's span lasts until its last reply, or until its caller leaves it.
  interceptor.stream = (next) => async (request) => {
    const { span, callContext } = startCall(request);
    return traceStream(span, callContext, () => next(request), true);
  };
  return interceptor;
}

/**
 * Traces every request of a host: a SERVER span per request, a child of the caller's span when the
 * request's headers carry a trace context. The rest of the chain and the handler run with that
 * span active, so that the handler's own spans and the calls it makes join the same trace. Put it
 * first in `interceptors`.
 *
 * @example
 * await serveCalc(nc, handlers, { interceptors: [hostTracingInterceptor({ connection: nc })] });
 */
export function hostTracingInterceptor(options: TracingOptions = {}): Interceptor {
  let tracer: Tracer | undefined;
  const interceptor: Interceptor = (next) => async (request) => {
    tracer ??= tracerOf(options);
    const parent = propagation.extract(context.active(), request.header, headerGetter);
    const span = tracer.startSpan(spanName(request), { kind: SpanKind.SERVER, attributes: attributesOf(request, options) }, parent);
    const requestContext: Context = trace.setSpan(parent, span);
    return finish(span, context.with(requestContext, () => next(request)), false);
  };
  // A stream's span lasts until its last reply: the handler's generator runs with it active at
  // every step, so that what it calls joins the trace.
  interceptor.stream = (next) => async (request) => {
    tracer ??= tracerOf(options);
    const parent = propagation.extract(context.active(), request.header, headerGetter);
    const span = tracer.startSpan(spanName(request), { kind: SpanKind.SERVER, attributes: attributesOf(request, options) }, parent);
    return traceStream(span, trace.setSpan(parent, span), () => next(request), false);
  };
  return interceptor;
}

// Runs a stream in its span's context, and ends the span with the stream: at its last reply, its
// error, or when its reader leaves.
async function traceStream(span: Span, streamContext: Context, open: () => Promise<StreamResponse>, client: boolean): Promise<StreamResponse> {
  let response: StreamResponse;
  try {
    response = await context.with(streamContext, open);
  } catch (reason) {
    return finish(span, Promise.reject(reason), client);
  }
  return {
    ...response,
    message: onStreamEnd(
      response.message,
      (error) => void finish(span, error === undefined ? Promise.resolve() : Promise.reject(error), client).catch(() => undefined),
      (step) => context.with(streamContext, step),
    ),
  };
}

function tracerOf(options: TracingOptions): Tracer {
  return (options.tracerProvider ?? trace.getTracerProvider()).getTracer(instrumentationName);
}

/** `<package>.<Service>/<Method>`, the span name of the RPC conventions. */
function spanName(request: UnaryRequest | StreamRequest): string {
  return `${request.service.typeName}/${request.method.name}`;
}

function attributesOf(request: UnaryRequest | StreamRequest, options: TracingOptions): Attributes {
  const attributes: Attributes = {
    "rpc.system": rpcSystem,
    "rpc.service": request.service.typeName,
    "rpc.method": request.method.name,
    "messaging.destination.name": request.subject,
  };
  const server = options.connection === undefined ? undefined : serverAddress(options.connection.getServer());
  if (server !== undefined) {
    attributes["server.address"] = server.address;
    if (server.port !== undefined) {
      attributes["server.port"] = server.port;
    }
  }
  return attributes;
}

// nats.js gives "host:port" ("[::1]:4222" for IPv6), or a URL.
function serverAddress(server: string): { address: string; port: number | undefined } | undefined {
  if (server === "") {
    return undefined;
  }
  try {
    const url = new URL(server.includes("://") ? server : `nats://${server}`);
    return { address: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port === "" ? undefined : Number(url.port) };
  } catch {
    return { address: server, port: undefined };
  }
}

// The codes a host answers for its own faults: only these make a SERVER span an error, as the RPC
// conventions say for gRPC; on a client every code but ok does.
const serverFaults: ReadonlySet<Code> = new Set([Code.Unknown, Code.DeadlineExceeded, Code.Unimplemented, Code.Internal, Code.Unavailable, Code.DataLoss]);

async function finish<T>(span: Span, outcome: Promise<T>, client: boolean): Promise<T> {
  try {
    const result = await outcome;
    span.setAttribute(codeAttribute, "ok");
    return result;
  } catch (reason) {
    // A host answers a plain error as internal; a client has it from an interceptor of its own.
    const code = reason instanceof RpcError ? reason.code : client ? Code.Unknown : Code.Internal;
    span.setAttribute(codeAttribute, code);
    if (client || serverFaults.has(code)) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
    }
    span.setAttribute("error.type", code);
    span.recordException(reason instanceof Error ? reason : String(reason));
    throw reason;
  } finally {
    span.end();
  }
}
