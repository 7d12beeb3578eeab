import { HeaderName } from "../protocol/header-name.js";
import type { IncomingRequest, SendResult, UnaryReply } from "../protocol/unary-exchange.js";
import type { RouteContext } from "../service/route-context.js";
import { natsHeader, toFetchHeaders } from "../transport/nats/message-headers.js";
import type { JsMsg } from "../transport/nats/jetstream-client.js";

/**
 * A pipeline message as the host's one call path sees it: the request of one attempt at a stop.
 * Its deadline is the attempt's time, its signal the stop runner's, its routing slip is the
 * handler's `context.route`, and its reply is kept for the runner, which forwards it.
 */
export class PipelineRequest implements IncomingRequest {
  readonly #msg: JsMsg;
  readonly #timeoutMs: string;
  readonly signal: AbortSignal;
  readonly route: RouteContext;
  /** The reply the call path made, once it made one; none when the attempt ran out of time. */
  reply: UnaryReply | undefined;

  constructor(msg: JsMsg, attemptTimeoutMs: number, signal: AbortSignal, route: RouteContext) {
    this.#msg = msg;
    this.#timeoutMs = String(attemptTimeoutMs);
    this.signal = signal;
    this.route = route;
  }

  get subject(): string {
    return this.#msg.subject;
  }

  get payload(): Uint8Array {
    return this.#msg.data;
  }

  header(name: string): string {
    // The attempt's time, whatever the starter's headers say: it is the stop's deadline.
    return name.toLowerCase() === HeaderName.Timeout.toLowerCase() ? this.#timeoutMs : natsHeader(this.#msg.headers, name);
  }

  headers(): Headers {
    const headers = toFetchHeaders(this.#msg.headers);
    headers.set(HeaderName.Timeout, this.#timeoutMs);
    return headers;
  }

  send(reply: UnaryReply): SendResult {
    this.reply = reply;
    return true;
  }
}
