import type { DescMessage, DescMethod, DescService, MessageShape } from "@bufbuild/protobuf";
import type { ContextValues } from "../service/context-values.js";

/**
 * One unary call as interceptors see it, on the client (before it is sent) and on the host (after
 * the request was decoded, before the handler runs). `stream` is `false`: streaming calls will
 * come as requests with `stream: true`, so an interceptor that reads `message` checks `stream`
 * first (docs/interceptors.md).
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
};

/**
 * The chain of interceptors around `call`: the first interceptor is the outermost, the one that
 * sees the request first and the response last.
 */
export function applyInterceptors(call: UnaryFn, interceptors: readonly Interceptor[]): UnaryFn {
  return interceptors.reduceRight((next, interceptor) => interceptor(next), call);
}
