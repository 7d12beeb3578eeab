import type { HeadersInit } from "../../runtime/src/protocol/headers-init.js";
import type { IncomingRequest, SendResult, UnaryReply } from "../../runtime/src/protocol/unary-exchange.js";

/** What a {@link memoryRequest} is made of; everything is optional. */
export interface MemoryRequestInit {
  /** The request payload: bytes, or text (UTF-8), such as a JSON request. Empty unless set. */
  payload?: Uint8Array | string;
  /** The request headers, as `new Headers()` takes them. */
  headers?: HeadersInit;
  /** `memory.request` unless set. */
  subject?: string;
  /**
   * What `send` answers: `true` (sent, the default), `false` (not sent: a closed connection), or
   * the `RpcError` a transport sent instead. A function decides per reply.
   */
  sendResult?: SendResult | ((reply: UnaryReply) => SendResult);
}

/** An in-memory request that keeps every reply sent to it. */
export interface MemoryRequest extends IncomingRequest {
  /** Every reply `send` was called with, in order. */
  readonly sent: readonly UnaryReply[];
  /** How many times the call path read all headers (for the handler context). */
  readonly headerReads: number;
}

/**
 * A request as the host's call path sees it, held in memory: the transport-agnostic
 * `IncomingRequest` implemented without any network, to drive `invokeUnary` directly.
 */
export function memoryRequest(init: MemoryRequestInit = {}): MemoryRequest {
  const payload = typeof init.payload === "string" ? new TextEncoder().encode(init.payload) : (init.payload ?? new Uint8Array(0));
  const headers = new Headers(init.headers);
  const sent: UnaryReply[] = [];
  const { sendResult = true } = init;
  let headerReads = 0;
  return {
    subject: init.subject ?? "memory.request",
    payload,
    sent,
    get headerReads() {
      return headerReads;
    },
    header: (name) => headers.get(name) ?? "",
    headers: () => {
      headerReads += 1;
      return new Headers(headers);
    },
    send(reply) {
      sent.push(reply);
      return typeof sendResult === "function" ? sendResult(reply) : sendResult;
    },
  };
}
