import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { Encoding } from "../protocol/codec.js";
import type { HeadersInit } from "../protocol/headers-init.js";
import type { CallOrigin } from "../protocol/unary-exchange.js";
import { createContextValues, type ContextValues } from "./context-values.js";
import type { JobContext } from "./job-context.js";
import type { RouteContext } from "./route-context.js";
import { defaultSubject, defineService } from "./service-definition.js";

/**
 * What a handler knows of the call it serves, besides the request message.
 *
 * @example
 * async average(request, context) {
 *   const rows = await db.query(sql, { signal: context.signal });
 *   context.responseHeader.set("x-rows", String(rows.length));
 *   ...
 * }
 */
export interface HandlerContext {
  /** The service the method belongs to. */
  readonly service: DescService;
  /** The method being called. */
  readonly method: DescMethod;
  /** The subject the request arrived on. */
  readonly subject: string;
  /** The encoding of the request; the reply uses it too. */
  readonly encoding: Encoding;
  /** The request's headers (names are lower case, as in `fetch`). */
  readonly requestHeader: Headers;
  /**
   * Headers sent with the reply, the error reply included. Set them before the handler returns;
   * in a stream, before its first reply (they go with it).
   */
  readonly responseHeader: Headers;
  /** Trailers sent when a stream ends, with success or not (docs/protocol.md, "Streaming"); a unary call sends none. */
  readonly responseTrailer: Headers;
  /**
   * Aborted when the caller's deadline runs out (the reason is an `RpcError` with code
   * `deadline_exceeded`), for a job also when its worker stops, and for a stream also when the
   * caller cancels it, goes silent or the host stops. Pass it on to whatever the handler waits
   * for. No reply is sent after it.
   */
  readonly signal: AbortSignal;
  /** The job this call runs, when it runs as a durable job (docs/jobs.md); `undefined` for a request. */
  readonly job: JobContext | undefined;
  /**
   * The routing slip of the message, when the call runs as a pipeline stop (docs/pipelines.md);
   * `undefined` for a request or a job. A router stop changes the rest of the route through it.
   */
  readonly route: RouteContext | undefined;
  /** Milliseconds left before the caller's deadline, or `undefined` when the caller set none. */
  timeoutMs(): number | undefined;
  /** Values that travel with the call, set by the host's interceptors (see `createContextKey`). */
  readonly values: ContextValues;
}

/** Where a call comes from, for a call that may be a job's attempt (a job request sets `job`). */
export interface HandlerCallOrigin extends CallOrigin {
  /** The job the call runs, when it comes from a job queue. */
  readonly job?: JobContext;
  /** The routing slip, when the call comes from a pipeline stop's stream. */
  readonly route?: RouteContext;
}

/** The host's side of a handler context: it can abort the call and read the reply headers. */
export interface ServerCallContext extends HandlerContext {
  abort(reason: unknown): void;
  /** The reply headers, or `undefined` when the handler never touched them. */
  responseHeaderIfUsed(): Headers | undefined;
  /** The trailers, or `undefined` when the handler never touched them. */
  responseTrailerIfUsed(): Headers | undefined;
  /**
   * Shows the handler the request headers and values as the host's interceptors passed them on,
   * which may be others than those the request arrived with.
   */
  useIntercepted(requestHeader: Headers, values: ContextValues): void;
}

/**
 * Creates the context of one call. The headers and the abort controller are made on first use
 * only: most handlers never look at them, and a host answers many thousands of calls a second.
 */
export function createServerCallContext(
  method: DescMethod,
  origin: HandlerCallOrigin,
  encoding: Encoding,
  deadline: number | undefined,
): ServerCallContext {
  return new CallContext(method, origin, encoding, deadline);
}

/** What {@link createHandlerContext} takes; everything but the method is optional. */
export interface HandlerContextInit {
  /** The method being called, such as `Calc.method.average`; the service is its parent. */
  method: DescMethod;
  /**
   * The subject; unless set, the one a host serves the method on by default: `<package>.<Service>.<Method>`,
   * or what the method's and service's `nats.micro.v1` options make it.
   */
  subject?: string;
  /** `binary` unless set. */
  encoding?: Encoding;
  /** The request's headers. */
  requestHeader?: HeadersInit;
  /** The caller's deadline, in milliseconds from now; none unless set. */
  timeoutMs?: number;
  /** Aborts the context's signal when it aborts, as a deadline or a stopping host would. */
  signal?: AbortSignal;
  /** The context values, as a host interceptor would have set them; empty unless given. */
  values?: ContextValues;
  /** The job the handler runs as, to test a handler's job path; none unless set. */
  job?: JobContext;
  /** The routing slip the handler runs with, to test a stop's router path; none unless set. */
  route?: RouteContext;
}

/**
 * Makes a handler context without NATS, to unit-test handlers: call the handler with it, then
 * look at `context.responseHeader`.
 *
 * @example
 * const context = createHandlerContext({ method: Calc.method.average, requestHeader: { "x-user": "ada" } });
 * const reply = await calcHandlers.average(create(AverageRequestSchema, { values: [1, 2] }), context);
 * expect(reply.result).toBe(1.5);
 */
export function createHandlerContext(init: HandlerContextInit): HandlerContext {
  const { method } = init;
  const origin: HandlerCallOrigin = {
    subject: init.subject ?? servedSubject(method),
    headers: () => new Headers(init.requestHeader),
    ...(init.signal === undefined ? {} : { signal: init.signal }),
    ...(init.job === undefined ? {} : { job: init.job }),
    ...(init.route === undefined ? {} : { route: init.route }),
  };
  const context = new CallContext(method, origin, init.encoding ?? "binary", init.timeoutMs === undefined ? undefined : Date.now() + init.timeoutMs);
  if (init.values !== undefined) {
    context.useIntercepted(context.requestHeader, init.values);
  }
  return context;
}

// The subject a host serves a method on, with the proto options applied (a streaming method has none: its default).
function servedSubject(method: DescMethod): string {
  return defineService(method.parent).endpoints.find((endpoint) => endpoint.method === method)?.subject ?? defaultSubject(method);
}

// A class rather than an object literal with getters and closures: its methods live once on the
// prototype, so a call allocates one small object instead of half a dozen functions.
class CallContext implements ServerCallContext {
  readonly method: DescMethod;
  readonly encoding: Encoding;
  readonly #origin: HandlerCallOrigin;
  readonly #deadline: number | undefined;
  #requestHeader: Headers | undefined;
  #responseHeader: Headers | undefined;
  #responseTrailer: Headers | undefined;
  #controller: AbortController | undefined;
  #abortReason: { reason: unknown } | undefined;
  #values: ContextValues | undefined;

  constructor(method: DescMethod, origin: HandlerCallOrigin, encoding: Encoding, deadline: number | undefined) {
    this.method = method;
    this.encoding = encoding;
    this.#origin = origin;
    this.#deadline = deadline;
  }

  get service(): DescService {
    return this.method.parent;
  }

  get subject(): string {
    return this.#origin.subject;
  }

  get job(): JobContext | undefined {
    return this.#origin.job;
  }

  get route(): RouteContext | undefined {
    return this.#origin.route;
  }

  get requestHeader(): Headers {
    return (this.#requestHeader ??= this.#origin.headers());
  }

  get responseHeader(): Headers {
    return (this.#responseHeader ??= new Headers());
  }

  get responseTrailer(): Headers {
    return (this.#responseTrailer ??= new Headers());
  }

  // Made when first read, and only then made to follow the origin's signal: most handlers never
  // read it, and a listener per call costs as much as the rest of the context.
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      const origin = this.#origin.signal;
      if (this.#abortReason !== undefined) {
        controller.abort(this.#abortReason.reason);
      } else if (origin?.aborted === true) {
        controller.abort(origin.reason);
      } else {
        origin?.addEventListener("abort", () => this.abort(origin.reason), { once: true });
      }
    }
    return this.#controller.signal;
  }

  timeoutMs(): number | undefined {
    return this.#deadline === undefined ? undefined : Math.max(0, this.#deadline - Date.now());
  }

  get values(): ContextValues {
    return (this.#values ??= createContextValues());
  }

  useIntercepted(requestHeader: Headers, values: ContextValues): void {
    this.#requestHeader = requestHeader;
    this.#values = values;
  }

  abort(reason: unknown): void {
    // The origin's reason when it was aborted first, as though the signal followed it all along.
    const origin = this.#origin.signal;
    this.#abortReason ??= { reason: origin?.aborted === true ? origin.reason : reason };
    this.#controller?.abort(reason);
  }

  responseHeaderIfUsed(): Headers | undefined {
    return this.#responseHeader;
  }

  responseTrailerIfUsed(): Headers | undefined {
    return this.#responseTrailer;
  }
}
