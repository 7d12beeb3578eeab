import { applyInterceptors, type Interceptor, type UnaryRequest, type UnaryResponse } from "../interceptors/interceptor.js";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { ServerCallContext } from "../service/handler-context.js";
import type { EndpointDefinition } from "../service/service-definition.js";
import type { AnyUnaryHandler } from "./host-endpoint.js";
import { responseMessage } from "./response-message.js";

// The call context a request of the chain belongs to. A symbol-keyed property, so that the copy
// an interceptor passes on (`next({ ...request, header })`) still carries it.
const callContextKey = Symbol("server call context");

// The request the chain starts with and the response it ends with, each on itself: a copy
// carries the original's, not itself.
const originalKey = Symbol("original");

type HostRequest = UnaryRequest & { readonly [callContextKey]?: ServerCallContext; [originalKey]?: HostRequest };
type HostResponse = UnaryResponse & { [originalKey]?: HostResponse };

/**
 * The handler of an endpoint wrapped in the host's interceptors, built once when the host starts:
 * what the call path runs in the handler's place. So interceptors run inside the call path,
 * after the request was decoded and within its deadline, and what they throw is answered and
 * counted as the handler's errors are. The response's headers go out with the reply.
 */
export function interceptHandler(definition: EndpointDefinition, handler: AnyUnaryHandler, interceptors: readonly Interceptor[]): AnyUnaryHandler {
  const { method } = definition;
  const service = method.parent;
  for (const interceptor of interceptors) {
    interceptor.prepare?.(method);
  }
  const innermost = async (request: HostRequest): Promise<UnaryResponse> => {
    const context = request[callContextKey];
    if (context === undefined) {
      throw new RpcError(`an interceptor of ${definition.name} passed on a request that is not the one it was given, nor a copy of it`, Code.Internal);
    }
    if (request[originalKey] !== request) {
      // A copy, which may carry other headers or values than those the call came with.
      context.useIntercepted(request.header, request.contextValues);
    }
    const output: unknown = await handler(request.message as never, context);
    // The reply headers are the context's, made when first read (as the request's, below).
    const response: HostResponse = {
      stream: false,
      service,
      method,
      message: responseMessage(definition, output),
      get header() {
        return context.responseHeader;
      },
    };
    response[originalKey] = response;
    return response;
  };
  const chain = applyInterceptors(innermost, interceptors);
  return async (message, context) => {
    const serverContext = context as ServerCallContext;
    // The headers, the signal and the values are the context's, made when an interceptor or the
    // handler first reads them (a copy, `{ ...request }`, reads them all): most read none, and
    // made for every call they and the reply headers cost an intercepted call 13 % of its CPU.
    const request: HostRequest = {
      stream: false,
      service,
      method,
      subject: context.subject,
      message,
      get header() {
        return serverContext.requestHeader;
      },
      get signal() {
        return serverContext.signal;
      },
      timeoutMs: () => context.timeoutMs(),
      get contextValues() {
        return serverContext.values;
      },
      [callContextKey]: serverContext,
    };
    request[originalKey] = request;
    const response: HostResponse = await chain(request);
    // An interceptor may answer with headers of its own: they go out with the reply.
    if (response[originalKey] !== response && response.header !== serverContext.responseHeader) {
      response.header.forEach((value, key) => serverContext.responseHeader.set(key, value));
    }
    return response.message as never;
  };
}
