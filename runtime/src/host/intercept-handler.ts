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

type HostRequest = UnaryRequest & { readonly [callContextKey]?: ServerCallContext };

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
    context.useIntercepted(request.header, request.contextValues);
    const output: unknown = await handler(request.message as never, context);
    return { stream: false, service, method, message: responseMessage(definition, output), header: context.responseHeader };
  };
  const chain = applyInterceptors(innermost, interceptors);
  return async (message, context) => {
    const serverContext = context as ServerCallContext;
    const request: HostRequest = {
      stream: false,
      service,
      method,
      subject: context.subject,
      message,
      header: context.requestHeader,
      signal: context.signal,
      timeoutMs: () => context.timeoutMs(),
      contextValues: context.values,
      [callContextKey]: serverContext,
    };
    const response = await chain(request);
    // An interceptor may answer with headers of its own: they go out with the reply.
    if (response.header !== serverContext.responseHeader) {
      response.header.forEach((value, key) => serverContext.responseHeader.set(key, value));
    }
    return response.message as never;
  };
}
