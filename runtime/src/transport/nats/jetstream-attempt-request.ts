import { HeaderName } from "../../protocol/header-name.js";
import type { IncomingRequest, SendResult, UnaryReply } from "../../protocol/unary-exchange.js";
import type { JsMsg } from "./jetstream-client.js";
import { natsHeader, toFetchHeaders } from "./message-headers.js";

/**
 * A JetStream message as the host's one call path sees it: the request of one attempt, for the
 * job worker and the pipeline stops. Its deadline is the attempt's time (whatever the sender's
 * headers say), its signal follows the runner's, and its reply is kept for the runner (which stores or
 * forwards it) rather than sent anywhere.
 */
export class JetStreamAttemptRequest implements IncomingRequest {
  readonly #msg: JsMsg;
  readonly #timeoutMs: string;
  readonly #stopSignal: AbortSignal;
  #attempt: { controller: AbortController; follow: () => void } | undefined;
  /** The reply the call path made, once it made one; none when the attempt ran out of time. */
  reply: UnaryReply | undefined;

  /** `stopSignal`: the runner's, aborted when a stopping runner gives up waiting for its attempts. */
  constructor(msg: JsMsg, attemptTimeoutMs: number, stopSignal: AbortSignal) {
    this.#msg = msg;
    this.#timeoutMs = String(attemptTimeoutMs);
    this.#stopSignal = stopSignal;
  }

  /**
   * The attempt's own signal, aborted with the runner's stop signal until {@link end}: made when
   * first read (by a handler that reads its context's signal), so that the runner's long-lived
   * signal holds a listener only for those attempts and only while they run.
   */
  get signal(): AbortSignal {
    if (this.#attempt === undefined) {
      const controller = new AbortController();
      const follow = () => controller.abort(this.#stopSignal.reason);
      this.#attempt = { controller, follow };
      if (this.#stopSignal.aborted) {
        follow();
      } else {
        this.#stopSignal.addEventListener("abort", follow, { once: true });
      }
    }
    return this.#attempt.controller.signal;
  }

  /** The attempt is over: its signal stops following the runner's. */
  end(): void {
    if (this.#attempt !== undefined) {
      this.#stopSignal.removeEventListener("abort", this.#attempt.follow);
    }
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
