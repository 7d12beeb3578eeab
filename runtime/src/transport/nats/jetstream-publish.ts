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
  /** `Nats-Msg-Id`: the server stores a second message of the same id once only. None unless set. */
  readonly msgID?: string;
  /** `Nats-Expected-Stream`: the stream that must take the subject. */
  readonly streamName: string;
  /**
   * `Nats-Expected-Last-Subject-Sequence`: stored only when the subject's last message has this
   * sequence, 0 for none (a key-value create or compare-and-set update); refused with
   * {@link wrongLastSequence} otherwise.
   */
  readonly expectedLastSubjectSequence?: number;
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

/** The `err_code` of a message refused because its subject's last sequence was not the one expected. */
export const wrongLastSequence = 10071;

/** JetStream refused to store a message: the server's description, and its codes to tell why. */
export class StreamPublishRefused extends Error {
  /** The HTTP-like status of the refusal (400, 503, ...). */
  readonly code: number;
  /** JetStream's own error code, such as {@link wrongLastSequence}. */
  readonly errCode: number;

  constructor(message: string, code: number, errCode: number) {
    super(message);
    this.name = "StreamPublishRefused";
    this.code = code;
    this.errCode = errCode;
  }
}

/**
 * Stores a message in a JetStream stream and resolves with the server's acknowledgement: what
 * `js.publish(subject, payload, { msgID, headers, expect: { streamName } })` does, sent on the
 * connection's reply multiplexer instead of `nc.request`, which makes a request object, a timer
 * promise and an `Error` (for a stack) per message. A pipeline hop stores one message per stop.
 * A job's record is written so too. `headers` gets the expectations. Rejects with nats.js's
 * `NoRespondersError` when no stream takes the subject, its `TimeoutError`, or a
 * {@link StreamPublishRefused} with the server's description of a refusal.
 */
export async function publishToStream(nc: NatsConnection, subject: string, payload: Uint8Array, headers: MsgHdrs, options: StreamPublishOptions): Promise<StoredAck> {
  if (options.msgID !== undefined) {
    headers.set("Nats-Msg-Id", options.msgID);
  }
  headers.set("Nats-Expected-Stream", options.streamName);
  if (options.expectedLastSubjectSequence !== undefined) {
    headers.set("Nats-Expected-Last-Subject-Sequence", String(options.expectedLastSubjectSequence));
  }
  const reply = await requestReply(nc, subject, payload, headers, options.timeoutMs ?? defaultTimeoutMs, options.atTurnEnd === true);
  const ack = JSON.parse(replyDecoder.decode(reply.data)) as { stream?: string; seq?: number; duplicate?: boolean; error?: { code?: number; err_code?: number; description?: string } };
  if (ack.error !== undefined || typeof ack.stream !== "string" || ack.stream === "") {
    const description = ack.error?.description ?? "invalid acknowledgement";
    const code = ack.error?.code ?? 0;
    const errCode = ack.error?.err_code ?? 0;
    throw new StreamPublishRefused(`${subject}: JetStream refused the message: ${description} (${code}/${errCode})`, code, errCode);
  }
  return { stream: ack.stream, seq: ack.seq ?? 0, duplicate: ack.duplicate === true };
}
