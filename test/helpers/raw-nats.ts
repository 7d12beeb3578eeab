import { createInbox, headers as createHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/nats-core";

/** NATS headers from a record: the way tests write the headers of a hand-made request. */
export function natsHeaders(record: Record<string, string>): MsgHdrs {
  const headers = createHeaders();
  for (const [key, value] of Object.entries(record)) {
    headers.set(key, value);
  }
  return headers;
}

/** The headers of a message as a plain record (names as sent; several values joined by ", "). */
export function headerRecord(msg: Msg): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key, values] of msg.headers ?? []) {
    record[key] = values.join(", ");
  }
  return record;
}

/** Sends a hand-made request, bypassing the client, and resolves with the raw reply. */
export function rawRequest(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array | string,
  headers: Record<string, string> = {},
  timeoutMs = 2_000,
): Promise<Msg> {
  const data = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  return nc.request(subject, data, { timeout: timeoutMs, headers: natsHeaders(headers) });
}

/**
 * An inbox of our own: requests published with it as their reply subject, and every message that
 * arrives on it, for tests that must see what a plain `request` hides (a late reply, a second reply).
 */
export interface Inbox {
  readonly subject: string;
  /** Every message received so far, in order. */
  readonly received: readonly Msg[];
  /** Publishes a request whose replies come to this inbox. */
  publish(subject: string, payload: Uint8Array | string, headers?: Record<string, string>): void;
  /** Resolves once `count` messages have arrived in all; rejects after `timeoutMs`. */
  waitForCount(count: number, timeoutMs?: number): Promise<readonly Msg[]>;
  /**
   * Watches the inbox for `windowMs` and resolves with what arrived in that window: the way to
   * show that something does NOT arrive.
   */
  watch(windowMs: number): Promise<readonly Msg[]>;
  unsubscribe(): void;
}

/** Subscribes to a fresh inbox; `nc.flush()` it before relying on the subscription. */
export function openInbox(nc: NatsConnection): Inbox {
  const subject = createInbox();
  const received: Msg[] = [];
  const waiters = new Set<() => void>();
  const subscription: Subscription = nc.subscribe(subject, {
    callback: (error, msg) => {
      if (error === null) {
        received.push(msg);
        for (const waiter of [...waiters]) {
          waiter();
        }
      }
    },
  });
  return {
    subject,
    received,
    publish(target, payload, headers = {}) {
      const data = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
      nc.publish(target, data, { reply: subject, headers: natsHeaders(headers) });
    },
    waitForCount(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(received.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`inbox received ${received.length} of ${count} messages within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async watch(windowMs) {
      const before = received.length;
      await new Promise((resolve) => setTimeout(resolve, windowMs));
      return received.slice(before);
    },
    unsubscribe() {
      subscription.unsubscribe();
    },
  };
}
