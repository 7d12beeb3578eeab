import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { Code } from "../../protocol/code.js";
import { HeaderName } from "../../protocol/header-name.js";
import { errorReplyHeaders, cutToBytes } from "../../protocol/reply-headers.js";
import { RpcError } from "../../protocol/rpc-error.js";
import type { IncomingRequest, SendResult, UnaryReply } from "../../protocol/unary-exchange.js";
import { headerLines, headerLineValue, natsHeader, toFetchHeaders, toNatsHeaders, wireSize, type HeaderLine } from "./message-headers.js";
import { tryRespond } from "./try-respond.js";

/**
 * A NATS request message as the host's call path sees it. A class, so that a request costs one
 * small object; the subject and headers are read from the message only when asked for.
 */
export class NatsRequest implements IncomingRequest {
  readonly #nc: NatsConnection;
  readonly #msg: Msg;
  #headerLines: readonly HeaderLine[] | undefined;

  constructor(nc: NatsConnection, msg: Msg) {
    this.#nc = nc;
    this.#msg = msg;
  }

  get subject(): string {
    // nats.js decodes the subject from the message's bytes on every read.
    return this.#msg.subject;
  }

  get payload(): Uint8Array {
    return this.#msg.data;
  }

  header(name: string): string {
    // Read from the message's bytes, once (see headerLines), rather than through msg.headers.
    if (this.#headerLines === undefined) {
      const lines = headerLines(this.#msg);
      if (lines === undefined) {
        return natsHeader(this.#msg.headers, name);
      }
      this.#headerLines = lines;
    }
    return headerLineValue(this.#headerLines, name);
  }

  headers(): Headers {
    return toFetchHeaders(this.#msg.headers);
  }

  /**
   * Replies on the message's reply subject. The server refuses a message larger than its
   * max_payload, and a refused reply leaves the caller waiting for its timeout; so a reply that
   * would not fit goes as an error reply without the handler's headers and with its message cut
   * to fit: `resource_exhausted` for a success reply, the reply's own error otherwise. An error
   * reply too large with its details goes first without them (and without their header).
   */
  send(reply: UnaryReply): SendResult {
    const msg = this.#msg;
    if (msg.reply === undefined || msg.reply === "") {
      return true; // published, not requested: nobody waits for a reply
    }
    // nats.js v3's msg.respond does not check the connection: on a closed one it buffers the
    // reply, which is never sent, and returns true.
    if (this.#nc.isClosed()) {
      return false;
    }
    const maxPayload = this.#nc.info?.max_payload;
    const size = maxPayload === undefined ? 0 : wireSize(reply.payload, reply.header);
    if (maxPayload === undefined || size <= maxPayload) {
      return tryRespond(msg, reply.payload, reply.header === undefined ? undefined : toNatsHeaders(reply.header));
    }
    if (reply.error !== undefined && reply.payload.length > 0 && reply.header !== undefined) {
      // An error reply's payload holds only its details: drop them before cutting the message.
      const header = new Headers(reply.header);
      header.delete(HeaderName.ErrorDetails);
      const empty = new Uint8Array(0);
      if (wireSize(empty, header) <= maxPayload) {
        return tryRespond(msg, empty, toNatsHeaders(header));
      }
    }
    const error =
      reply.error ?? new RpcError(`reply of ${size} bytes (payload and headers) exceeds the server's max_payload of ${maxPayload} bytes`, Code.ResourceExhausted);
    const empty = new Uint8Array(0);
    // Room for the protocol's own headers, whose values are short.
    const room = Math.max(0, maxPayload - wireSize(empty, errorReplyHeaders(new RpcError("", error.code), reply.encoding, undefined)) - 256);
    const fitted = new RpcError(cutToBytes(error.rawMessage, room), error.code);
    tryRespond(msg, empty, toNatsHeaders(errorReplyHeaders(fitted, reply.encoding, undefined)));
    return error;
  }
}
