import { create, type DescMessage, type Registry } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { decodeMessage, encodeMessage, encodingFromContentType, type Encoding } from "../protocol/codec.js";
import { encodeErrorDetails, errorDetailsPayload } from "../protocol/error-details.js";
import { setErrorHeaders } from "../protocol/error-headers.js";
import { HeaderName } from "../protocol/header-name.js";
import { errorReplyHeaders } from "../protocol/reply-headers.js";
import { RpcError } from "../protocol/rpc-error.js";
import {
  defaultStreamHeartbeatMs,
  FrameKind,
  maxStreamHeartbeatMs,
  minStreamHeartbeatMs,
  trailerPrefix,
} from "../protocol/stream-frames.js";
import { parseTimeoutHeader } from "../protocol/timeout-header.js";
import type { MethodMetrics, StreamMessageMetrics } from "../metrics/method-metrics.js";
import { okCode } from "../metrics/method-metrics.js";
import { createServerCallContext, type ServerCallContext } from "../service/handler-context.js";
import { streamKindLabel, type StreamEndpointDefinition } from "../service/service-definition.js";
import { checkMessageSize, natsHeader, toFetchHeaders, toNatsHeaders } from "../transport/nats/message-headers.js";
import type { Msg, MsgHdrs, NatsConnection } from "../transport/nats/nats-client.js";
import { openStreamInbox } from "../transport/nats/stream-inboxes.js";
import { initialCredit, StreamPeer } from "../transport/nats/stream-peer.js";
import { recordRequest, type EndpointStats } from "./endpoint-stats.js";
import type { HostState } from "./host-endpoint.js";
import { internalErrorMessage } from "./invoke-unary.js";
import type { StreamInvoker } from "./stream-invoker.js";

/** Counters of one streaming endpoint for `$SRV.STATS`'s `data.stream`. */
export interface StreamCounters {
  active: number;
  messagesIn: number;
  messagesOut: number;
}

/** What the streams of one host share: those running, their limit, and a way to wait until none runs. */
export interface HostStreams {
  readonly running: Set<{ abort(reason: RpcError): void }>;
  readonly max: number;
  /** Called each time the last running stream ends (a stopping host waits for it). */
  onIdle: (() => void) | undefined;
}

/** One streaming endpoint of a running host, built once at start. */
export interface HostStreamEndpoint {
  readonly definition: StreamEndpointDefinition;
  /** The handler in the host's stream interceptors, as one shape whatever the method's kind. */
  readonly invoke: StreamInvoker;
  readonly registry: Registry;
  readonly stats: EndpointStats;
  readonly counters: StreamCounters;
  readonly metrics: MethodMetrics | undefined;
  readonly messageMetrics: StreamMessageMetrics | undefined;
  /** The stream's credit window for the caller's messages. */
  readonly window: number;
  readonly host: HostState;
  readonly streams: HostStreams;
}

/**
 * Serves one stream setup of a streaming endpoint from setup to end (docs/protocol.md,
 * "Streaming"): checks it, opens the stream, runs the handler with the caller's messages as they
 * come and sends its replies as the caller's credit allows, and ends the stream with its status.
 * Counts it as one request of the endpoint. Never throws.
 */
export function serveStream(nc: NatsConnection, endpoint: HostStreamEndpoint, msg: Msg): void {
  const startedAt = process.hrtime.bigint();
  const reply = msg.reply;
  if (reply === undefined || reply === "") {
    return; // nobody to stream to
  }
  endpoint.metrics?.started();
  const finish = (error: RpcError | undefined) => {
    recordRequest(endpoint.stats, startedAt, error === undefined ? undefined : `${error.code}: ${error.rawMessage}`);
    endpoint.metrics?.finished(startedAt, error === undefined ? okCode : error.code);
    endpoint.host.onRequestFinished?.({
      method: endpoint.definition.name,
      code: error === undefined ? okCode : error.code,
      durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
      error,
    });
  };
  const header = (name: string) => natsHeader(msg.headers, name);
  if (header(HeaderName.StreamSetup) !== "1") {
    // A unary request (a v1 client, a plain `nats req`): answered as one, with what to do instead.
    const error = new RpcError(`${endpoint.definition.name} is a ${streamKindLabel(endpoint.definition.kind)} method: open a stream (docs/protocol.md, "Streaming")`, Code.Unimplemented);
    respondSafely(msg, error);
    finish(error);
    return;
  }
  let setup: StreamSetup;
  try {
    setup = readSetup(endpoint, msg, header);
  } catch (reason) {
    const error = RpcError.from(reason, Code.InvalidArgument);
    refuse(nc, reply, error, "binary");
    finish(error);
    return;
  }
  if (endpoint.streams.running.size >= endpoint.streams.max) {
    const error = new RpcError(`service ${endpoint.host.serviceName} serves ${endpoint.streams.max} streams at once already`, Code.ResourceExhausted);
    refuse(nc, reply, error, setup.encoding);
    finish(error);
    return;
  }
  new ServedStream(nc, endpoint, msg, reply, setup, finish).run();
}

/** What a setup asks for, checked. */
interface StreamSetup {
  readonly encoding: Encoding;
  readonly credit: number;
  readonly heartbeatMs: number;
  readonly timeoutMs: number | undefined;
  /** The request of a server-streaming method, which comes with the setup. */
  readonly request: unknown;
}

function readSetup(endpoint: HostStreamEndpoint, msg: Msg, header: (name: string) => string): StreamSetup {
  const encoding = encodingFromContentType(header(HeaderName.ContentType));
  const credit = Number(header(HeaderName.StreamCredit));
  if (!Number.isSafeInteger(credit) || credit < 1) {
    throw new RpcError(`invalid ${HeaderName.StreamCredit} "${header(HeaderName.StreamCredit)}": expected a whole number of messages, at least 1`, Code.InvalidArgument);
  }
  const heartbeatText = header(HeaderName.StreamHeartbeat);
  const askedHeartbeatMs = heartbeatText === "" ? defaultStreamHeartbeatMs : Number(heartbeatText);
  if (!Number.isSafeInteger(askedHeartbeatMs) || askedHeartbeatMs < 1) {
    throw new RpcError(`invalid ${HeaderName.StreamHeartbeat} "${heartbeatText}": expected whole milliseconds`, Code.InvalidArgument);
  }
  const timeoutMs = parseTimeoutHeader(header(HeaderName.Timeout)) ?? endpoint.definition.timeoutMs;
  const { method, kind } = endpoint.definition;
  return {
    encoding,
    credit,
    heartbeatMs: Math.min(maxStreamHeartbeatMs, Math.max(minStreamHeartbeatMs, askedHeartbeatMs)),
    timeoutMs,
    request: kind === "server_streaming" ? decodeMessage(method.input, msg.data, encoding, endpoint.registry) : undefined,
  };
}

// Answers a setup the host does not take: an end without an open, with the error.
function refuse(nc: NatsConnection, reply: string, error: RpcError, encoding: Encoding): void {
  const { headers, payload } = endFrameOf(error, encoding, undefined, undefined);
  try {
    nc.publish(`${reply}.${FrameKind.End}.0`, payload, headers === undefined ? undefined : { headers });
  } catch {
    // A closed connection: the caller finds out by its own means.
  }
}

function respondSafely(msg: Msg, error: RpcError): void {
  try {
    msg.respond(new Uint8Array(0), { headers: toNatsHeaders(errorReplyHeaders(error, "binary", undefined)) });
  } catch {
    // A closed connection.
  }
}

/** One stream being served. */
class ServedStream {
  readonly #nc: NatsConnection;
  readonly #endpoint: HostStreamEndpoint;
  readonly #setup: StreamSetup;
  readonly #finish: (error: RpcError | undefined) => void;
  readonly #context: ServerCallContext;
  readonly #peer: StreamPeer;
  readonly #inbox: { subject: string; close(): void };
  #abortReason: RpcError | undefined;
  /** Rejects the handler step the stream waits for, when it is stopped: one at a time. */
  #stopWaiting: ((reason: RpcError) => void) | undefined;
  #canceledByCaller = false;
  #headersSent = false;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;

  constructor(nc: NatsConnection, endpoint: HostStreamEndpoint, msg: Msg, reply: string, setup: StreamSetup, finish: (error: RpcError | undefined) => void) {
    this.#nc = nc;
    this.#endpoint = endpoint;
    this.#setup = setup;
    this.#finish = finish;
    const { timeoutMs } = setup;
    this.#context = createServerCallContext(
      endpoint.definition.method,
      { subject: msg.subject, headers: () => toFetchHeaders(msg.headers) },
      setup.encoding,
      timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
    );
    const window = endpoint.definition.kind === "server_streaming" ? 0 : endpoint.window;
    this.#peer = new StreamPeer({ nc, window, heartbeatMs: setup.heartbeatMs, onFailure: (error) => this.abort(error) }, setup.credit);
    this.#inbox = openStreamInbox(nc, {
      onFrame: (address, frame) => {
        if (address.kind === FrameKind.Cancel) {
          this.#peer.heard();
          const code = natsHeader(frame.headers, HeaderName.RpcCode);
          this.abort(new RpcError("the caller canceled the stream", code === Code.DeadlineExceeded ? Code.DeadlineExceeded : Code.Canceled), true);
          return;
        }
        this.#peer.onFrame(address, frame);
      },
      onLost: (error) => this.#peer.fail(error),
    });
    this.#peer.connect(reply);
    const openHeaders = new Headers();
    openHeaders.set(HeaderName.StreamCredit, String(initialCredit(window)));
    openHeaders.set(HeaderName.StreamHeartbeat, String(setup.heartbeatMs));
    this.#peer.sendFrame(FrameKind.Open, toNatsHeaders(openHeaders), this.#inbox.subject);
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(() => this.abort(new RpcError(`deadline of ${timeoutMs} ms exceeded`, Code.DeadlineExceeded)), timeoutMs);
    }
  }

  /** Stops the stream: the handler's signal aborts, and the stream ends with `reason` unless the caller canceled it. */
  abort(reason: RpcError, byCaller = false): void {
    if (this.#abortReason !== undefined || this.#ended) {
      return;
    }
    this.#abortReason = reason;
    this.#canceledByCaller = byCaller;
    this.#context.abort(reason);
    this.#peer.interrupt(reason);
    this.#stopWaiting?.(reason);
  }

  run(): void {
    const endpoint = this.#endpoint;
    endpoint.streams.running.add(this);
    endpoint.counters.active += 1;
    void this.#serve().then(
      () => this.#end(undefined),
      (reason: unknown) => this.#end(this.#abortReason ?? RpcError.from(reason, Code.Internal), reason),
    );
  }

  async #serve(): Promise<void> {
    const { definition, invoke } = this.#endpoint;
    const input = definition.kind === "server_streaming" ? this.#setup.request : this.#requests();
    const replies = invoke(input, this.#context)[Symbol.asyncIterator]();
    try {
      for (;;) {
        // The next reply is asked for only once the caller can take it: a generator never runs ahead.
        // Credit waits end with the stream's stop too (the peer is interrupted).
        const credit = this.#peer.waitForCredit();
        if (credit !== undefined) {
          await credit;
        }
        const next = await this.#unlessStopped(replies.next());
        if (next.done === true) {
          return;
        }
        this.#send(next.value);
      }
    } finally {
      if (this.#abortReason !== undefined) {
        // Lets the generator run its finally blocks; not awaited, since it may be stuck in an await.
        void Promise.resolve(replies.return?.()).catch(() => undefined);
      }
    }
  }

  // A step of the handler, or the stream's stop, whichever comes first: a handler stuck in an
  // await must not hold the stream open. Not Promise.race with one promise of the whole stream,
  // which would keep a reaction per step until the stream ends.
  #unlessStopped<T>(step: Promise<T>): Promise<T> {
    if (this.#abortReason !== undefined) {
      return Promise.reject(this.#abortReason);
    }
    return new Promise<T>((resolve, reject) => {
      this.#stopWaiting = reject;
      step.then(
        (value) => {
          this.#stopWaiting = undefined;
          resolve(value);
        },
        (reason: unknown) => {
          this.#stopWaiting = undefined;
          reject(reason);
        },
      );
    });
  }

  // The caller's messages, decoded as the handler takes them (which grants the caller credit).
  async *#requests(): AsyncGenerator<unknown> {
    const { method } = this.#endpoint.definition;
    for (;;) {
      const msg = await this.#peer.take();
      if (msg === undefined) {
        return;
      }
      this.#endpoint.counters.messagesIn += 1;
      this.#endpoint.messageMetrics?.in.inc();
      let message: unknown;
      try {
        message = decodeMessage(method.input, msg.data, this.#setup.encoding, this.#endpoint.registry);
      } catch (reason) {
        const error = RpcError.from(reason, Code.InvalidArgument);
        this.abort(error);
        throw error;
      }
      yield message;
    }
  }

  // Sends one reply; the caller's credit allows it.
  #send(value: unknown): void {
    if (this.#abortReason !== undefined) {
      throw this.#abortReason;
    }
    const { method, name, kind } = this.#endpoint.definition;
    if (kind === "client_streaming" && this.#peer.sent > 0) {
      throw new RpcError(`the handler of ${name} gave more than one reply`, Code.Internal);
    }
    if (typeof value !== "object" || value === null) {
      throw new RpcError(`the handler of ${name} gave ${value === null ? "null" : typeof value}, not a ${method.output.typeName}`, Code.Internal);
    }
    const payload = encodeMessage(method.output as DescMessage, create(method.output as DescMessage, value as never), this.#setup.encoding, this.#endpoint.registry);
    const headers = this.#headersSent ? undefined : this.#context.responseHeaderIfUsed();
    checkMessageSize(this.#nc.info?.max_payload, payload, headers, "message");
    this.#headersSent = true;
    this.#peer.sendMessage(payload, headers === undefined ? undefined : toNatsHeaders(headers));
    this.#endpoint.counters.messagesOut += 1;
    this.#endpoint.messageMetrics?.out.inc();
  }

  #end(error: RpcError | undefined, thrown?: unknown): void {
    if (this.#ended) {
      return;
    }
    this.#ended = true;
    clearTimeout(this.#timer);
    const endpoint = this.#endpoint;
    if (!this.#canceledByCaller) {
      const shown = error === undefined || thrown === undefined || thrown instanceof RpcError || endpoint.host.exposeInternalErrors ? error : new RpcError(internalErrorMessage, Code.Internal);
      const { headers, payload } = endFrameOf(shown, this.#setup.encoding, this.#headersSent ? undefined : this.#context.responseHeaderIfUsed(), this.#context.responseTrailerIfUsed());
      this.#peer.sendEnd(headers, payload);
    }
    this.#peer.close();
    this.#inbox.close();
    endpoint.counters.active -= 1;
    endpoint.streams.running.delete(this);
    this.#finish(error === undefined ? undefined : RpcError.from(error));
    if (endpoint.streams.running.size === 0) {
      endpoint.streams.onIdle?.();
    }
  }
}

// The headers and payload of a host's end: the status (error headers and details), the response
// headers when no message carried them, and the trailers as `Trailer-<name>`; no headers at all
// for a success without either (a bare frame).
function endFrameOf(error: RpcError | undefined, encoding: Encoding, responseHeader: Headers | undefined, trailers: Headers | undefined): { headers: MsgHdrs | undefined; payload: Uint8Array | undefined } {
  const headers = new Headers(responseHeader);
  headers.delete(HeaderName.ContentType);
  let payload: Uint8Array | undefined;
  if (error !== undefined) {
    setErrorHeaders(headers, error);
    if (error.details.length > 0) {
      headers.set(HeaderName.ErrorDetails, errorDetailsPayload);
      payload = encodeErrorDetails(error.code, error.rawMessage, error.details, encoding);
    }
  }
  if ([...headers.keys()].length === 0 && (trailers === undefined || [...trailers.keys()].length === 0)) {
    return { headers: undefined, payload };
  }
  // Appended to the NATS headers, which keep the prefix's spelling (a WHATWG Headers would lower it).
  const natsHeaders = toNatsHeaders(headers);
  trailers?.forEach((value, name) => natsHeaders.append(`${trailerPrefix}${name}`, value));
  return { headers: natsHeaders, payload };
}

