import { HeaderName } from "../../protocol/header-name.js";
import type { IncomingRequest, SendResult, UnaryReply } from "../../protocol/unary-exchange.js";
import type { JsMsg } from "./jetstream-client.js";
import { natsHeader, toFetchHeaders } from "./message-headers.js";

/**
 * A JetStream message as the host's one call path sees it: the request of one attempt, for the
 * job worker and the pipeline stops. Its deadline is the attempt's time (whatever the sender's
 * headers say), its signal the runner's, and its reply is kept for the runner (which stores or
 * forwards it) rather than sent anywhere.
 */
export class JetStreamAttemptRequest implements IncomingRequest {
  readonly #msg: JsMsg;
  readonly #timeoutMs: string;
  readonly signal: AbortSignal;
  /** The reply the call path made, once it made one; none when the attempt ran out of time. */
  reply: UnaryReply | undefined;

  constructor(msg: JsMsg, attemptTimeoutMs: number, signal: AbortSignal) {
    this.#msg = msg;
    this.#timeoutMs = String(attemptTimeoutMs);
    this.signal = signal;
  }

  get subject(): string {
    return this.#msg.subject;
  }

  get payload(): Uint8Array {
    return this.#msg.data;
  }

  header(name: string): string {
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
