import type { MsgHdrs, NatsConnection } from "./nats-client.js";
import { requestReply } from "./reply-multiplexer.js";

/** The server's acknowledgement of a message stored in a stream. */
export interface StoredAck {
  readonly stream: string;
  readonly seq: number;
  /** The stream had a message of this id within its duplicate window, and stored nothing. */
  readonly duplicate: boolean;
}

/** What {@link publishToStream} sets on the message. */
export interface StreamPublishOptions {
  /** `Nats-Msg-Id`: the server stores a second message of the same id once only. */
  readonly msgID: string;
  /** `Nats-Expected-Stream`: the stream that must take the subject. */
  readonly streamName: string;
  /** How long to wait for the acknowledgement; 5 s unless set (as nats.js's JetStream client). */
  readonly timeoutMs?: number;
  /**
   * Sent at the end of the event loop's turn with the connection's other deferred publishes, in
   * one write (see `publishAtTurnEnd`): for a worker storing many messages at once.
   */
  readonly atTurnEnd?: boolean;
}

const defaultTimeoutMs = 5_000;
const replyDecoder = new TextDecoder();

/**
 * Stores a message in a JetStream stream and resolves with the server's acknowledgement: what
 * `js.publish(subject, payload, { msgID, headers, expect: { streamName } })` does, sent on the
 * connection's reply multiplexer instead of `nc.request`, which makes a request object, a timer
 * promise and an `Error` (for a stack) per message. A pipeline hop stores one message per stop.
 * `headers` gets the two headers. Rejects with nats.js's `NoRespondersError` when no stream takes
 * the subject, its `TimeoutError`, or an `Error` with the server's description of a refusal.
 */
export async function publishToStream(nc: NatsConnection, subject: string, payload: Uint8Array, headers: MsgHdrs, options: StreamPublishOptions): Promise<StoredAck> {
  headers.set("Nats-Msg-Id", options.msgID);
  headers.set("Nats-Expected-Stream", options.streamName);
  const reply = await requestReply(nc, subject, payload, headers, options.timeoutMs ?? defaultTimeoutMs, options.atTurnEnd === true);
  const ack = JSON.parse(replyDecoder.decode(reply.data)) as { stream?: string; seq?: number; duplicate?: boolean; error?: { code?: number; err_code?: number; description?: string } };
  if (ack.error !== undefined || typeof ack.stream !== "string" || ack.stream === "") {
    const description = ack.error?.description ?? "invalid acknowledgement";
    throw new Error(`${subject}: JetStream refused the message: ${description} (${ack.error?.code ?? 0}/${ack.error?.err_code ?? 0})`);
  }
  return { stream: ack.stream, seq: ack.seq ?? 0, duplicate: ack.duplicate === true };
}
