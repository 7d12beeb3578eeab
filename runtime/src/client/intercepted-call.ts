import { create, type DescMessage, type Registry } from "@bufbuild/protobuf";
import { applyInterceptors, type Interceptor, type UnaryFn, type UnaryRequest } from "../interceptors/interceptor.js";
import type { Encoding } from "../protocol/codec.js";
import { createContextValues } from "../service/context-values.js";
import type { EndpointDefinition } from "../service/service-definition.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import type { CallOptions, UnaryCall } from "./call-options.js";
import { callUnary, checkCallTimeout } from "./call-unary.js";

// What a call's interceptors pass on to the transport without seeing it: the call's own options.
// A symbol-keyed property, so that the copy an interceptor passes on still carries it.
const callSettingsKey = Symbol("call settings");

interface CallSettings {
  readonly encoding: Encoding;
  readonly onHeader: ((headers: Headers) => void) | undefined;
  /** The call was made with `retry: false`. */
  readonly retryOff: boolean;
}

/** A request of a client's chain. */
export type ClientRequest = UnaryRequest & { readonly [callSettingsKey]?: CallSettings };

/** Whether the call of this request was made with `retry: false`. */
export function isRetryOff(request: ClientRequest): boolean {
  return request[callSettingsKey]?.retryOff === true;
}

// A signal for calls whose caller gave none: it never aborts.
const neverAborted = new AbortController().signal;

/** What a client's call of one endpoint needs besides the interceptors. */
export interface InterceptedCallSettings {
  readonly nc: NatsConnection;
  readonly endpoint: EndpointDefinition;
  readonly defaultTimeoutMs: number;
  readonly encoding: Encoding;
  readonly registry: Registry;
  readonly batchWrites: boolean;
  /** The innermost step in place of the NATS request (a client's `transport`). */
  readonly send?: UnaryFn;
}

/**
 * One method's call through the client's interceptors (first one outermost), ending in one NATS
 * request. Built once per method; a client without interceptors calls `callUnary` directly.
 */
export function interceptedCall(settings: InterceptedCallSettings, interceptors: readonly Interceptor[]): UnaryCall<DescMessage, DescMessage> {
  const { nc, endpoint, registry } = settings;
  const { method, subject } = endpoint;
  const service = method.parent;
  const natsRequest: UnaryFn = async (request: ClientRequest) => {
    const callSettings = request[callSettingsKey];
    let header = new Headers();
    const message = await callUnary(nc, method, subject, request.message, {
      timeoutMs: request.timeoutMs() ?? settings.defaultTimeoutMs,
      encoding: callSettings?.encoding ?? settings.encoding,
      registry,
      batchWrites: settings.batchWrites,
      headers: request.header,
      // The stand-in signal of a call without one would only cost a listener per call.
      ...(request.signal === neverAborted ? {} : { signal: request.signal }),
      onHeader: (replyHeader) => {
        header = replyHeader;
        callSettings?.onHeader?.(replyHeader);
      },
    });
    return { stream: false, service, method, message, header };
  };
  const chain = applyInterceptors(settings.send ?? natsRequest, interceptors);
  return async (init, callOptions: CallOptions = {}) => {
    const timeoutMs = callOptions.timeoutMs ?? settings.defaultTimeoutMs;
    checkCallTimeout(timeoutMs);
    const deadline = performance.now() + timeoutMs;
    const request: ClientRequest = {
      stream: false,
      service,
      method,
      subject,
      message: create(method.input, init),
      header: new Headers(callOptions.headers),
      signal: callOptions.signal ?? neverAborted,
      // Rounded up: a call that starts at once sends its whole timeout.
      timeoutMs: () => Math.max(0, Math.ceil(deadline - performance.now())),
      contextValues: callOptions.contextValues ?? createContextValues(),
      [callSettingsKey]: { encoding: callOptions.encoding ?? settings.encoding, onHeader: callOptions.onHeader, retryOff: callOptions.retry === false },
    };
    const response = await chain(request);
    if (settings.send !== undefined) {
      // The NATS request tells onHeader itself, as each reply arrives; another transport, here.
      callOptions.onHeader?.(response.header);
    }
    return response.message;
  };
}
