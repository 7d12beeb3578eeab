import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { applyStreamInterceptors, type Interceptor, type StreamFn, type StreamRequest } from "../interceptors/interceptor.js";
import { asMessages, firstMessage, streamOfOne } from "../interceptors/stream-messages.js";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import { createContextValues } from "../service/context-values.js";
import type { StreamCallOptions } from "./call-options.js";
import { callClientStream, callStream, type StreamCallSettings } from "./call-stream.js";
import { checkCallTimeout } from "./call-unary.js";

// A signal for streams whose caller gave none: it never aborts.
const neverAborted = new AbortController().signal;

/**
 * One streaming method's calls through the client's interceptors that have a `stream` function
 * (first one outermost), ending in the stream itself. The call's requests reach the interceptors
 * as messages (the one request of a server-streaming call as a stream of one), and its replies
 * come back through them. As without interceptors, a stream opens when its replies are first
 * asked for.
 */
export function interceptedStream(settings: StreamCallSettings, interceptors: readonly Interceptor[]): (input: unknown, options?: StreamCallOptions) => unknown {
  const { endpoint } = settings;
  const { method, kind } = endpoint;
  const service = method.parent;
  const chain = applyStreamInterceptors(async (request: StreamRequest) => {
    const callOptions = (request as CallRequest)[callOptionsKey] ?? {};
    const header = new Headers();
    const trailer = new Headers();
    const input = kind === "server_streaming" ? await firstMessage(request.message) : request.message;
    const timeoutMs = request.timeoutMs();
    const options: StreamCallOptions = {
      ...callOptions,
      headers: request.header,
      signal: request.signal,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      onHeader: (received) => {
        received.forEach((value, name) => header.append(name, value));
        callOptions.onHeader?.(received);
      },
      onTrailer: (received) => {
        received.forEach((value, name) => trailer.append(name, value));
        callOptions.onTrailer?.(received);
      },
    };
    const message = kind === "client_streaming" ? streamOfOne(callClientStream(settings, input, options)) : callStream(settings, input, options);
    return { stream: true, service, method, message, header, trailer };
  }, interceptors);

  const requestOf = (input: unknown, options: StreamCallOptions): CallRequest => {
    const timeoutMs = options.timeoutMs ?? settings.timeoutMs;
    if (timeoutMs !== undefined) {
      checkCallTimeout(timeoutMs);
    }
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    return {
      stream: true,
      service,
      method,
      subject: endpoint.subject,
      message: (kind === "server_streaming" ? streamOfOne(create(method.input, input as never)) : asMessages(method.input, input as AsyncIterable<unknown>)) as AsyncIterable<MessageShape<DescMessage>>,
      header: new Headers(options.headers),
      signal: options.signal ?? neverAborted,
      // Rounded up: a stream that starts at once sends its whole timeout.
      timeoutMs: () => (deadline === undefined ? undefined : Math.max(0, Math.ceil(deadline - performance.now()))),
      contextValues: createContextValues(),
      [callOptionsKey]: options,
    };
  };

  if (kind === "client_streaming") {
    return async (input: unknown, options: StreamCallOptions = {}) => {
      let reply: MessageShape<DescMessage> | undefined;
      for await (const message of (await chain(requestOf(input, options))).message) {
        reply ??= message;
      }
      if (reply === undefined) {
        throw new RpcError(`${endpoint.subject} ended the stream without its reply`, Code.Internal);
      }
      return reply;
    };
  }
  return (input: unknown, options: StreamCallOptions = {}): AsyncIterable<MessageShape<DescMessage>> => ({
    [Symbol.asyncIterator]: () => lazyReplies(chain, () => requestOf(input, options)),
  });
}

// The call's own options, which the interceptors pass on without seeing: a symbol-keyed property,
// so that the copy an interceptor passes on still carries it.
const callOptionsKey = Symbol("stream call options");
type CallRequest = StreamRequest & { readonly [callOptionsKey]?: StreamCallOptions };

// The replies of the chain, run when they are first asked for.
function lazyReplies(chain: StreamFn, request: () => CallRequest): AsyncIterator<MessageShape<DescMessage>> {
  let replies: AsyncIterator<MessageShape<DescMessage>> | undefined;
  return {
    next: async () => {
      replies ??= (await chain(request())).message[Symbol.asyncIterator]();
      return replies.next();
    },
    return: async () => (await replies?.return?.()) ?? { done: true, value: undefined },
  };
}
