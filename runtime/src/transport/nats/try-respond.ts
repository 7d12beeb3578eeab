import type { Msg, MsgHdrs } from "@nats-io/nats-core";

/**
 * Replies to a request, unless it has no reply subject (it was published, not requested) or the
 * connection is closing: a reply that cannot be sent must not take the host down.
 * Returns whether the reply was sent.
 */
export function tryRespond(msg: Msg, payload: Uint8Array, headers?: MsgHdrs): boolean {
  if (msg.reply === undefined || msg.reply === "") {
    return false;
  }
  try {
    return msg.respond(payload, headers === undefined ? undefined : { headers });
  } catch {
    return false;
  }
}
