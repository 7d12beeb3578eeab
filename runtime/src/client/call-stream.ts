import { create, type DescMessage, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { decodeMessage, encodeMessage, jsonContentType, type Encoding } from "../protocol/codec.js";
import { errorFromHeaders } from "../protocol/error-headers.js";
import { HeaderName } from "../protocol/header-name.js";
import { RpcError } from "../protocol/rpc-error.js";
import { FrameKind, maxStreamHeartbeatMs, minStreamHeartbeatMs, trailerPrefix } from "../protocol/stream-frames.js";
import type { StreamEndpointDefinition } from "../service/service-definition.js";
import { checkMessageSize, natsHeader, toFetchHeaders, toNatsHeaders } from "../transport/nats/message-headers.js";
import type { Msg, NatsConnection } from "../transport/nats/nats-client.js";
import { openStreamInbox, type StreamInbox } from "../transport/nats/stream-inboxes.js";
import { initialCredit, StreamPeer } from "../transport/nats/stream-peer.js";
import type { StreamCallOptions } from "./call-options.js";
import { checkCallTimeout } from "./call-unary.js";

/** What every stream of one client method shares. */
export interface StreamCallSettings {
  readonly nc: NatsConnection;
  readonly endpoint: StreamEndpointDefinition;
  readonly registry: Registry;
  /** The client's encoding, unless a call sets its own. */
  readonly encoding: Encoding;
  /** The credit window for the host's messages. */
  readonly window: number;
  readonly heartbeatMs: number;
  /** The deadline of a stream whose call sets none: the client's stream timeout, else the method's option; `undefined` for none. */
  readonly timeoutMs: number | undefined;
}

/**
 * Calls a streaming method (docs/protocol.md, "Streaming"). `requests` is the one request of a
 * server-streaming method, else the caller's `AsyncIterable` of requests. Returns the replies;
 * the stream starts when they are first asked for, and leaving them early cancels it on the host.
 * Every failure is an `RpcError`, thrown after every reply that came before it.
 */
export function callStream(settings: StreamCallSettings, requests: unknown, options: StreamCallOptions = {}): AsyncIterable<MessageShape<DescMessage>> {
  return {
    [Symbol.asyncIterator]: () => new ClientStream(settings, requests, options).replies(),
  };
}

/** Calls a client-streaming method: sends the requests as the host takes them and resolves with its one reply. */
export async function callClientStream(settings: StreamCallSettings, requests: unknown, options: StreamCallOptions = {}): Promise<MessageShape<DescMessage>> {
  let reply: MessageShape<DescMessage> | undefined;
  for await (const message of new ClientStream(settings, requests, options).replies()) {
    if (reply !== undefined) {
      throw new RpcError(`${settings.endpoint.subject} sent more than one reply to a client-streaming call`, Code.Internal);
    }
    reply = message;
  }
  if (reply === undefined) {
    throw new RpcError(`${settings.endpoint.subject} ended the stream without its reply`, Code.Internal);
  }
  return reply;
}

/** One stream, from the caller's side. */
class ClientStream {
  readonly #settings: StreamCallSettings;
  readonly #requests: unknown;
  readonly #options: StreamCallOptions;
  readonly #encoding: Encoding;
  #peer: StreamPeer | undefined;
  #inbox: StreamInbox | undefined;
  #opened = false;
  /** Set once the caller gave up or the stream failed: a cancel goes as soon as the host's inbox is known. */
  #stop: RpcError | undefined;
  #finished = false;
  #timer: NodeJS.Timeout | undefined;
  #onAbort: (() => void) | undefined;
  #requestIterator: AsyncIterator<unknown> | undefined;

  constructor(settings: StreamCallSettings, requests: unknown, options: StreamCallOptions) {
    this.#settings = settings;
    this.#requests = requests;
    this.#options = options;
    this.#encoding = options.encoding ?? settings.encoding;
  }

  /**
   * The replies, as an iterator written by hand rather than an async generator: a reply already
   * here is handed over in a resolved promise, without a generator's turns per message.
   */
  replies(): AsyncIterableIterator<MessageShape<DescMessage>> {
    let peer: StreamPeer | undefined;
    let headerSeen = false;
    let done = false;
    const { endpoint, registry } = this.#settings;
    // The stream is over for the reader: left early, it tells the host to stop.
    const finish = () => {
      if (!done) {
        done = true;
        if (!this.#finished) {
          this.#giveUp(this.#stop ?? peer?.failure ?? new RpcError("the caller stopped reading the stream", Code.Canceled));
        }
        this.#cleanUp();
      }
    };
    const step = (): IteratorResult<MessageShape<DescMessage>> | Promise<IteratorResult<MessageShape<DescMessage>>> => {
      const msg = peer!.poll();
      if (msg !== undefined) {
        if (!headerSeen) {
          headerSeen = true;
          this.#options.onHeader?.(toFetchHeaders(msg.headers));
        }
        try {
          return { done: false, value: decodeMessage(endpoint.method.output, msg.data, this.#encoding, registry) };
        } catch (reason) {
          throw new RpcError(`invalid reply from ${endpoint.subject}: ${RpcError.from(reason).rawMessage}`, Code.Internal, { cause: reason });
        }
      }
      const peerEnd = peer!.peerEnd;
      if (peerEnd === undefined) {
        return peer!.readable().then(step);
      }
      // Every reply is in: the end's status.
      this.#finished = true;
      const end = peerEnd.msg;
      const { header, trailer } = splitEndHeaders(end);
      if (!headerSeen) {
        this.#options.onHeader?.(header);
      }
      this.#options.onTrailer?.(trailer);
      const error = errorFromHeaders(
        (name) => natsHeader(end.headers, name),
        () => toFetchHeaders(end.headers),
        () => ({ data: end.data, encoding: this.#encoding }),
      );
      finish();
      if (error !== undefined) {
        throw error;
      }
      return { done: true, value: undefined };
    };
    const failed = (reason: unknown): never => {
      finish();
      throw reason;
    };
    const iterator: AsyncIterableIterator<MessageShape<DescMessage>> = {
      next: () => {
        if (done) {
          return Promise.resolve({ done: true, value: undefined });
        }
        try {
          peer ??= this.#start();
          const result = step();
          return result instanceof Promise ? result.catch(failed) : Promise.resolve(result);
        } catch (reason) {
          return Promise.reject(reason).catch(failed);
        }
      },
      return: () => {
        finish();
        return Promise.resolve({ done: true, value: undefined });
      },
      throw: (reason?: unknown) => {
        finish();
        return Promise.reject(reason);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  // Sends the setup, and arranges the deadline, the signal and the liveness check.
  #start(): StreamPeer {
    const { nc, endpoint, window } = this.#settings;
    const { signal } = this.#options;
    const timeoutMs = this.#options.timeoutMs ?? this.#settings.timeoutMs;
    if (timeoutMs !== undefined) {
      checkCallTimeout(timeoutMs);
      if (timeoutMs <= 0) {
        throw new RpcError(`deadline already passed before calling ${endpoint.subject}`, Code.DeadlineExceeded);
      }
    }
    if (signal?.aborted === true) {
      throw new RpcError("call canceled before it was sent", Code.Canceled, { cause: signal.reason });
    }
    const heartbeatMs = Math.min(maxStreamHeartbeatMs, Math.max(minStreamHeartbeatMs, this.#settings.heartbeatMs));
    const payload = endpoint.kind === "server_streaming" ? this.#encode(this.#requests) : new Uint8Array(0);
    const headers = new Headers(this.#options.headers);
    headers.set(HeaderName.StreamSetup, "1");
    headers.set(HeaderName.StreamCredit, String(initialCredit(window)));
    headers.set(HeaderName.StreamHeartbeat, String(heartbeatMs));
    if (timeoutMs !== undefined) {
      headers.set(HeaderName.Timeout, String(timeoutMs));
    } else {
      headers.delete(HeaderName.Timeout);
    }
    if (this.#encoding === "json") {
      headers.set(HeaderName.ContentType, jsonContentType);
    } else {
      headers.delete(HeaderName.ContentType);
    }
    checkMessageSize(nc.info?.max_payload, payload, headers, `message to ${endpoint.subject}`);
    // A stream that fails on its way hands over the replies that came before the failure first.
    const peer = new StreamPeer({ nc, window, heartbeatMs, onFailure: (error) => this.#giveUp(error, false) }, 0);
    this.#peer = peer;
    this.#inbox = openStreamInbox(nc, { onFrame: (address, msg) => this.#onFrame(address.kind, address.number, msg), onLost: (error) => peer.fail(error) });
    try {
      nc.publish(endpoint.subject, payload, { reply: this.#inbox.subject, headers: toNatsHeaders(headers) });
    } catch (reason) {
      this.#cleanUp();
      throw new RpcError(`cannot open a stream to ${endpoint.subject}: ${reason instanceof Error ? reason.message : String(reason)}`, Code.Unavailable, { cause: reason });
    }
    peer.watchLiveness();
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(() => this.#giveUp(new RpcError(`deadline of ${timeoutMs} ms exceeded`, Code.DeadlineExceeded)), timeoutMs);
    }
    if (signal !== undefined) {
      this.#onAbort = () => this.#giveUp(new RpcError("call canceled", Code.Canceled, { cause: signal.reason }));
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    return peer;
  }

  #onFrame(kind: FrameKind | "", number: number, msg: Msg): void {
    const peer = this.#peer!;
    if (kind === "") {
      // The server's "no responders" status, to the bare inbox.
      if (msg.headers?.code === 503) {
        peer.fail(new RpcError(`no service instance is listening on ${this.#settings.endpoint.subject}`, Code.Unavailable));
      }
      return;
    }
    if (kind === FrameKind.Open) {
      peer.heard();
      if (this.#opened || msg.reply === undefined || msg.reply === "") {
        return;
      }
      this.#opened = true;
      peer.connect(msg.reply);
      if (this.#stop !== undefined) {
        this.#sendCancel(this.#stop);
        return;
      }
      const credit = Number(natsHeader(msg.headers, HeaderName.StreamCredit));
      peer.onFrame({ kind: FrameKind.Credit, number: Number.isSafeInteger(credit) ? credit : 0 }, msg);
      if (this.#settings.endpoint.kind !== "server_streaming") {
        void this.#sendRequests(peer);
      }
      return;
    }
    if (kind !== FrameKind.Cancel) {
      peer.onFrame({ kind, number }, msg);
    }
  }

  // Sends the caller's requests as the host's credit allows, then the caller's end.
  async #sendRequests(peer: StreamPeer): Promise<void> {
    const requests = this.#requests as AsyncIterable<unknown>;
    try {
      const iterator = requests[Symbol.asyncIterator]();
      this.#requestIterator = iterator;
      for (;;) {
        const credit = peer.waitForCredit();
        if (credit !== undefined) {
          await credit;
        }
        const next = await iterator.next();
        if (this.#stop !== undefined || this.#finished) {
          return;
        }
        if (next.done === true) {
          peer.sendEnd();
          return;
        }
        const payload = this.#encode(next.value);
        checkMessageSize(this.#settings.nc.info?.max_payload, payload, undefined, `message to ${this.#settings.endpoint.subject}`);
        peer.sendMessage(payload);
      }
    } catch (reason) {
      if (this.#stop === undefined && !this.#finished) {
        // The caller's requests failed (or one could not be sent): the stream fails with it.
        peer.fail(reason instanceof RpcError ? reason : new RpcError(`the requests of the stream failed: ${reason instanceof Error ? reason.message : String(reason)}`, Code.Canceled, { cause: reason }));
      }
    }
  }

  #encode(request: unknown): Uint8Array {
    const { method, subject } = this.#settings.endpoint;
    try {
      return encodeMessage(method.input, create(method.input, request as never), this.#encoding, this.#settings.registry);
    } catch (reason) {
      throw new RpcError(`cannot encode the request to ${subject}: ${RpcError.from(reason).rawMessage}`, Code.InvalidArgument, { cause: reason });
    }
  }

  // The caller gives up, or the stream failed: the host is told, and whoever waits wakes with
  // `error` (at once when the caller gave up, `stopReading`).
  #giveUp(error: RpcError, stopReading = true): void {
    if (this.#stop !== undefined || this.#finished) {
      return;
    }
    this.#stop = error;
    if (this.#opened) {
      this.#sendCancel(error);
    }
    if (stopReading) {
      this.#peer?.interrupt(error);
    }
    // A stream that never opens (a silent server) must still end: the open may come later, or never.
    if (!this.#opened) {
      this.#peer?.fail(error);
    }
  }

  #sendCancel(error: RpcError): void {
    const headers = new Headers();
    headers.set(HeaderName.RpcCode, error.code === Code.DeadlineExceeded ? Code.DeadlineExceeded : Code.Canceled);
    this.#peer?.sendFrame(FrameKind.Cancel, toNatsHeaders(headers));
  }

  #cleanUp(): void {
    clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) {
      this.#options.signal?.removeEventListener("abort", this.#onAbort);
    }
    this.#peer?.close(this.#stop);
    this.#inbox?.close();
    // The caller's requests are not read any more: its generator may end.
    const iterator = this.#requestIterator;
    this.#requestIterator = undefined;
    void Promise.resolve(iterator?.return?.()).catch(() => undefined);
  }
}

// The response headers of an end (those that are not trailers, nor the status) and its trailers.
function splitEndHeaders(end: Msg): { header: Headers; trailer: Headers } {
  const header = new Headers();
  const trailer = new Headers();
  toFetchHeaders(end.headers).forEach((value, name) => {
    // Names come lower case from Headers.
    if (name.startsWith(trailerPrefix.toLowerCase())) {
      trailer.append(name.slice(trailerPrefix.length), value);
    } else {
      header.append(name, value);
    }
  });
  return { header, trailer };
}

