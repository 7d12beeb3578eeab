import { Code } from "../protocol/code.js";
import { decodeMessage, encodeMessage, encodingFromContentType, type Encoding } from "../protocol/codec.js";
import { encodeErrorDetails, errorDetailsPayload } from "../protocol/error-details.js";
import { HeaderName } from "../protocol/header-name.js";
import { cutToBytes, errorReplyHeaders, replyHeaders } from "../protocol/reply-headers.js";
import { RpcError } from "../protocol/rpc-error.js";
import { parseTimeoutHeader } from "../protocol/timeout-header.js";
import { okCode } from "../metrics/method-metrics.js";
import type { IncomingRequest, SendResult } from "../protocol/unary-exchange.js";
import { createServerCallContext, type ServerCallContext } from "../service/handler-context.js";
import { overLimitError } from "./concurrency-limit.js";
import { recordRequest } from "./endpoint-stats.js";
import { isPromiseLike, untilDeadline } from "./handler-deadline.js";
import type { HostEndpoint } from "./host-endpoint.js";
import { responseMessage } from "./response-message.js";

/** What callers are told of an error that is not an `RpcError`, unless the host exposes it. */
export const internalErrorMessage = "internal error";

/** The longest `last_error` that `$SRV.STATS` reports, in bytes of UTF-8. */
const maxLastErrorBytes = 1_024;

/**
 * Serves one request of an endpoint from arrival to reply: the one call path of every entry point
 * (a NATS request, and later an HTTP request or a job). Checks the concurrency limits, decodes,
 * runs the handler within the caller's deadline, encodes, sends the reply through the request, and
 * counts the request in the endpoint's stats and metrics whatever happened. Never throws.
 *
 * Returns a promise only when the handler does: a reply that is ready at once is sent in the
 * turn the request arrived in, in one socket write with the replies around it.
 */
export function invokeUnary(endpoint: HostEndpoint, request: IncomingRequest): void | Promise<void> {
  const startedAt = process.hrtime.bigint();
  const { host } = endpoint;
  endpoint.metrics?.started();
  if (endpoint.inFlight >= endpoint.maxInFlight || host.inFlight >= host.maxInFlight) {
    refuse(endpoint, request, startedAt);
    return;
  }
  endpoint.inFlight += 1;
  host.inFlight += 1;
  let encoding: Encoding = "binary";
  let context: ServerCallContext | undefined;
  try {
    encoding = encodingFromContentType(request.header(HeaderName.ContentType));
    // The caller's deadline, else the method's default from its proto options.
    const timeoutMs = parseTimeoutHeader(request.header(HeaderName.Timeout)) ?? endpoint.definition.timeoutMs;
    const { method } = endpoint.definition;
    const message = decodeMessage(method.input, request.payload, encoding, endpoint.registry);
    const callContext = createServerCallContext(method, request, encoding, timeoutMs === undefined ? undefined : Date.now() + timeoutMs);
    context = callContext;
    const result: unknown = endpoint.handler(message as never, callContext);
    if (!isPromiseLike(result)) {
      reply(endpoint, result, callContext, request, startedAt);
      return;
    }
    const callEncoding = encoding;
    let deadlineExpired = false;
    const settled = timeoutMs === undefined
      ? Promise.resolve(result)
      : untilDeadline(result, timeoutMs, (error) => {
          deadlineExpired = true;
          callContext.abort(error);
        });
    return settled.then(
      (value) => reply(endpoint, value, callContext, request, startedAt),
      // Past the deadline the caller has given up: a late reply would only be noise.
      (reason: unknown) => fail(endpoint, reason, callEncoding, callContext, deadlineExpired ? undefined : request, startedAt),
    );
  } catch (reason) {
    fail(endpoint, reason, encoding, context, request, startedAt);
  }
}

// Encodes and sends what the handler returned, and counts the request.
function reply(endpoint: HostEndpoint, result: unknown, context: ServerCallContext, request: IncomingRequest, startedAt: bigint): void {
  const { encoding } = context;
  if (result === undefined && endpoint.definition.stop !== undefined) {
    // A pipeline stop that drops the message (docs/pipelines.md): a success without a message.
    const header = replyHeaders(encoding, context.responseHeaderIfUsed()) ?? new Headers();
    header.set(HeaderName.PipelineDropped, "true");
    const sent = request.send({ payload: new Uint8Array(0), header, encoding, error: undefined });
    finish(endpoint, startedAt, sent === true ? undefined : sent === false ? notSent() : sent);
    return;
  }
  let payload: Uint8Array;
  try {
    payload = encodeResponse(endpoint, result, encoding);
  } catch (reason) {
    fail(endpoint, reason, encoding, context, request, startedAt);
    return;
  }
  const sent: SendResult = request.send({ payload, header: replyHeaders(encoding, context.responseHeaderIfUsed()), encoding, error: undefined });
  if (sent === true) {
    finish(endpoint, startedAt, undefined);
  } else {
    finish(endpoint, startedAt, sent === false ? notSent() : sent);
  }
}

// Sends the error reply for whatever failed (unless `answerTo` is undefined), and counts the request.
function fail(endpoint: HostEndpoint, reason: unknown, encoding: Encoding, context: ServerCallContext | undefined, answerTo: IncomingRequest | undefined, startedAt: bigint): void {
  const error = RpcError.from(reason, Code.Internal);
  if (answerTo !== undefined) {
    // The message of an error the handler did not mean to send may hold paths and internals.
    const shown = reason instanceof RpcError || endpoint.host.exposeInternalErrors ? error : new RpcError(internalErrorMessage, Code.Internal);
    const responseHeader = context?.responseHeaderIfUsed();
    const header = errorReplyHeaders(shown, encoding, responseHeader);
    let payload = new Uint8Array(0);
    if (shown.details.length > 0) {
      // The error's details go in the payload, which says so in a header (docs/protocol.md).
      header.set(HeaderName.ErrorDetails, errorDetailsPayload);
      payload = encodeErrorDetails(shown.code, shown.rawMessage, shown.details, encoding);
    }
    answerTo.send({ payload, header, encoding, error: shown });
  }
  finish(endpoint, startedAt, error);
}

// Answers a request over a concurrency limit at once, without running its handler, and counts it.
function refuse(endpoint: HostEndpoint, request: IncomingRequest, startedAt: bigint): void {
  const { host } = endpoint;
  const error =
    endpoint.inFlight >= endpoint.maxInFlight
      ? overLimitError(host.serviceName, endpoint.definition.name, endpoint.maxInFlight)
      : overLimitError(host.serviceName, undefined, host.maxInFlight);
  let encoding: Encoding = "binary";
  try {
    encoding = encodingFromContentType(request.header(HeaderName.ContentType));
  } catch {
    // The limit is what the caller needs to hear about; a bad Content-Type gets a binary reply.
  }
  request.send({ payload: new Uint8Array(0), header: errorReplyHeaders(error, encoding, undefined), encoding, error });
  record(endpoint, startedAt, error);
}

// Counts a finished request and gives back its place.
function finish(endpoint: HostEndpoint, startedAt: bigint, error: RpcError | undefined): void {
  const { host } = endpoint;
  endpoint.inFlight -= 1;
  host.inFlight -= 1;
  record(endpoint, startedAt, error);
  if (host.inFlight === 0) {
    host.onIdle?.();
  }
}

// Counts a request in the endpoint's stats and metrics, and tells the host's observer: one place
// for every request, whatever became of it.
function record(endpoint: HostEndpoint, startedAt: bigint, error: RpcError | undefined): void {
  const code = error === undefined ? okCode : error.code;
  // Cut, so that one huge message cannot take $SRV.STATS replies over the server's max_payload.
  recordRequest(endpoint.stats, startedAt, error === undefined ? undefined : cutToBytes(`${error.code}: ${error.rawMessage}`, maxLastErrorBytes));
  endpoint.metrics?.finished(startedAt, code);
  const { onRequestFinished } = endpoint.host;
  if (onRequestFinished !== undefined) {
    onRequestFinished({ method: endpoint.definition.name, code, durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6, error });
  }
}

function notSent(): RpcError {
  return new RpcError("the reply could not be sent: the connection is closed or closing", Code.Unavailable);
}

/** Builds the reply payload from whatever the handler returned. */
function encodeResponse(endpoint: HostEndpoint, result: unknown, encoding: Encoding): Uint8Array {
  return encodeMessage(endpoint.definition.method.output, responseMessage(endpoint.definition, result), encoding, endpoint.registry);
}
