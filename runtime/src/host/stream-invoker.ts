import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { applyStreamInterceptors, type Interceptor, type StreamRequest, type StreamResponse } from "../interceptors/interceptor.js";
import { asMessages, firstMessage, streamOfOne } from "../interceptors/stream-messages.js";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { ServerCallContext } from "../service/handler-context.js";
import type { StreamEndpointDefinition } from "../service/service-definition.js";

/**
 * Runs a streaming handler, whatever its kind, as one shape: from the caller's input (the request
 * of a server-streaming method, else the requests as an `AsyncIterable`) to the replies as an
 * `AsyncIterable`, which the host reads as the caller's credit allows.
 */
export type StreamInvoker = (input: unknown, context: ServerCallContext) => AsyncIterable<unknown>;

/**
 * The invoker of a streaming endpoint, built once when the host starts: the handler itself for
 * server-streaming and bidirectional methods, its one reply as a stream of one for
 * client-streaming ones; inside the interceptors' `stream` functions when any has one.
 */
export function streamInvoker(definition: StreamEndpointDefinition, handler: (input: never, context: ServerCallContext) => unknown, interceptors: readonly Interceptor[]): StreamInvoker {
  const direct: StreamInvoker = (input, context) => {
    const result = handler(input as never, context);
    if (definition.kind === "client_streaming") {
      return streamOfOne(result);
    }
    if (result === null || typeof result !== "object" || !(Symbol.asyncIterator in result)) {
      throw new RpcError(`the handler of ${definition.name} returned no AsyncIterable: write it as an async function*`, Code.Internal);
    }
    return result as AsyncIterable<unknown>;
  };
  const streaming = interceptors.filter((interceptor) => interceptor.stream !== undefined);
  if (streaming.length === 0) {
    return direct;
  }
  for (const interceptor of streaming) {
    interceptor.prepare?.(definition.method);
  }
  const { method } = definition;
  const service = method.parent;
  const chain = applyStreamInterceptors(async (request: StreamRequest): Promise<StreamResponse> => {
    const context = contextOf(request);
    context.useIntercepted(request.header, request.contextValues);
    const input = definition.kind === "server_streaming" ? await firstMessage(request.message) : request.message;
    const replies = direct(input, context);
    return { stream: true, service, method, message: asMessages(method.output, replies), header: context.responseHeader, trailer: context.responseTrailer };
  }, streaming);
  return (input, context) => {
    const request: HostStreamRequest = {
      stream: true,
      service,
      method,
      subject: context.subject,
      message: (definition.kind === "server_streaming" ? streamOfOne(input) : input) as AsyncIterable<MessageShape<DescMessage>>,
      header: context.requestHeader,
      signal: context.signal,
      timeoutMs: () => context.timeoutMs(),
      contextValues: context.values,
      [callContextKey]: context,
    };
    return repliesOf(chain, request);
  };
}

// The call context a request of the chain belongs to, on a symbol-keyed property that a copy
// (`next({ ...request, message })`) keeps.
const callContextKey = Symbol("server stream context");
type HostStreamRequest = StreamRequest & { readonly [callContextKey]?: ServerCallContext };

function contextOf(request: HostStreamRequest): ServerCallContext {
  const context = request[callContextKey];
  if (context === undefined) {
    throw new RpcError(`an interceptor of ${request.method.name} passed on a stream request that is not the one it was given, nor a copy of it`, Code.Internal);
  }
  return context;
}

// The replies of the chain, which resolves with them once every interceptor has had its say.
async function* repliesOf(chain: (request: StreamRequest) => Promise<StreamResponse>, request: HostStreamRequest): AsyncGenerator<unknown, void, undefined> {
  const response = await chain(request);
  const context = request[callContextKey]!;
  // Headers an interceptor answered with go out with the first reply, as for unary calls.
  if (response.header !== context.responseHeader) {
    response.header.forEach((value, key) => context.responseHeader.set(key, value));
  }
  if (response.trailer !== context.responseTrailer) {
    response.trailer.forEach((value, key) => context.responseTrailer.set(key, value));
  }
  yield* response.message;
}
