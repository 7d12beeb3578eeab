import type { NatsConnection } from "@nats-io/nats-core";
import { Code } from "../../protocol/code.js";
import { RpcError } from "../../protocol/rpc-error.js";
import { isNoResponders } from "./nats-errors.js";

/**
 * Sends one request that every listener answers (ADR-32 discovery: `$SRV.PING.<name>` ...) and
 * collects the JSON replies until none has come for `quietMs`, or for `waitMs` before the first.
 * Replies that are not JSON are skipped, as the NATS CLI does: they are not from a micro service.
 * No listener at all is an empty list; any other failure an `unavailable` `RpcError`.
 */
export async function requestEveryInstance(nc: NatsConnection, subject: string, waitMs: number, quietMs: number): Promise<unknown[]> {
  const replies: unknown[] = [];
  try {
    const messages = await nc.requestMany(subject, undefined, { strategy: "stall", stall: quietMs, maxWait: waitMs });
    for await (const message of messages) {
      try {
        replies.push(message.json<unknown>());
      } catch {
        // not JSON: not a micro service's reply
      }
    }
  } catch (error) {
    if (!isNoResponders(error)) {
      throw RpcError.from(error, Code.Unavailable);
    }
  }
  return replies;
}
