import type { DescMessage, DescMethod, DescService, MessageShape } from "@bufbuild/protobuf";
import type { ContextValues } from "../service/context-values.js";

/**
 * One unary call as interceptors see it, on the client (before it is sent) and on the host (after
 * the request was decoded, before the handler runs). `stream` is `false`: streams go through an
 * interceptor's `stream` function, as {@link StreamRequest}s (docs/interceptors.md).
 */
export interface UnaryRequest<Input extends DescMessage = DescMessage> {
  readonly stream: false;
  readonly service: DescService;
  readonly method: DescMethod;
  /** The subject of the call. */
  readonly subject: string;
  /** The request message. */
  readonly message: MessageShape<Input>;
  /** The request's headers: add to them on the client, read them on the host. */
  readonly header: Headers;
  /** Aborted when the call is cancelled or its deadline runs out. */
  readonly signal: AbortSignal;
  /** Milliseconds left before the call's deadline; `undefined` when it has none. */
  timeoutMs(): number | undefined;
  /** Values that travel with the call: set on the client per call, or by a host interceptor for the handler. */
  readonly contextValues: ContextValues;
}

/** The outcome of a unary call that succeeded; a failed call throws an `RpcError` instead. */
export interface UnaryResponse<Output extends DescMessage = DescMessage> {
  readonly stream: false;
  readonly service: DescService;
  readonly method: DescMethod;
  /** The reply message. */
  readonly message: MessageShape<Output>;
  /** The reply's headers: read them on the client, add to them on the host. */
  readonly header: Headers;
}

/** The rest of the chain: the next interceptor, or the call itself. */
export type UnaryFn = (request: UnaryRequest) => Promise<UnaryResponse>;

/**
 * One stream as a host's stream interceptors see it (docs/interceptors.md, "Streams"): the
 * caller's messages as they come (the one request of a server-streaming method as a stream of
 * one), before the handler takes them.
 */
export interface StreamRequest<Input extends DescMessage = DescMessage> {
  readonly stream: true;
  readonly service: DescService;
  readonly method: DescMethod;
  /** The subject of the call. */
  readonly subject: string;
  /** The caller's messages, read as the handler takes them. */
  readonly message: AsyncIterable<MessageShape<Input>>;
  /** The request's headers. */
  readonly header: Headers;
  /** Aborted when the stream is cancelled, its deadline runs out, its caller goes silent or the host stops. */
  readonly signal: AbortSignal;
  /** Milliseconds left before the stream's deadline; `undefined` when it has none. */
  timeoutMs(): number | undefined;
  readonly contextValues: ContextValues;
}

/** The replies of a stream as stream interceptors see them: read them, or pass on a stream of your own. */
export interface StreamResponse<Output extends DescMessage = DescMessage> {
  readonly stream: true;
  readonly service: DescService;
  readonly method: DescMethod;
  /** The replies, as the handler yields them. */
  readonly message: AsyncIterable<MessageShape<Output>>;
  /** Headers sent with the first reply. */
  readonly header: Headers;
  /** Trailers sent with the stream's end. */
  readonly trailer: Headers;
}

/** The rest of a stream's chain: the next interceptor, or the handler itself. */
export type StreamFn = (request: StreamRequest) => Promise<StreamResponse>;

/**
 * Wraps every call of a client or host, as in connect-es and gRPC: it gets the rest of the chain
 * and returns what runs in its place. It may change the request, look at or change the response,
 * and throw an `RpcError` to fail the call.
 *
 * @example
 * const logging: Interceptor = (next) => async (request) => {
 *   const started = performance.now();
 *   try {
 *     return await next(request);
 *   } finally {
 *     console.log(request.method.name, performance.now() - started);
 *   }
 * };
 */
export type Interceptor = ((next: UnaryFn) => UnaryFn) & {
  /**
   * Called by `createHost` for each method the host serves, before it starts: an interceptor that
   * must prepare for a method (such as compiling its validation rules) throws here, so that a
   * host that cannot serve fails at start-up rather than on every request.
   */
  prepare?: (method: DescMethod) => void;
  /**
   * Wraps every stream a host serves, as the function wraps every unary call: an interceptor
   * without it leaves streams alone. The validation and tracing interceptors have one.
   */
  stream?: (next: StreamFn) => StreamFn;
};

/**
 * The chain of interceptors around `call`: the first interceptor is the outermost, the one that
 * sees the request first and the response last.
 */
export function applyInterceptors(call: UnaryFn, interceptors: readonly Interceptor[]): UnaryFn {
  return interceptors.reduceRight((next, interceptor) => interceptor(next), call);
}

/** The chain of the interceptors that wrap streams around `call`, first one outermost. */
export function applyStreamInterceptors(call: StreamFn, interceptors: readonly Interceptor[]): StreamFn {
  return interceptors.reduceRight<StreamFn>((next, interceptor) => (interceptor.stream === undefined ? next : interceptor.stream(next)), call);
}
