import { HeaderName } from "../protocol/header-name.js";
import type { IncomingRequest, SendResult, UnaryReply } from "../protocol/unary-exchange.js";
import type { JobContext } from "../service/job-context.js";
import { natsHeader, toFetchHeaders } from "../transport/nats/message-headers.js";
import type { JsMsg } from "../transport/nats/jetstream-client.js";

/**
 * A job's message as the host's one call path sees it: the request of one attempt. Its deadline
 * is the attempt's time, its signal the worker's stop, and its reply is kept for the worker,
 * which stores it, rather than sent anywhere.
 */
export class JobRequest implements IncomingRequest {
  readonly #msg: JsMsg;
  readonly #timeoutMs: string;
  readonly signal: AbortSignal;
  readonly job: JobContext;
  /** The reply the call path made, once it made one; none when the attempt ran out of time. */
  reply: UnaryReply | undefined;

  constructor(msg: JsMsg, attemptTimeoutMs: number, signal: AbortSignal, job: JobContext) {
    this.#msg = msg;
    this.#timeoutMs = String(attemptTimeoutMs);
    this.signal = signal;
    this.job = job;
  }

  get subject(): string {
    return this.#msg.subject;
  }

  get payload(): Uint8Array {
    return this.#msg.data;
  }

  header(name: string): string {
    // The attempt's time, whatever the enqueuer's headers say: it is the worker's deadline.
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
