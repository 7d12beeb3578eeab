import type { NatsConnection } from "./nats-client.js";

// The publishes waiting for the end of the current turn, by connection.
const waiting = new WeakMap<NatsConnection, Array<() => void>>();

/**
 * Runs a publish at the end of the current turn of the event loop (`setImmediate`), together
 * with every other publish deferred on the connection in the same turn.
 *
 * Why: nats.js writes what it has buffered in a microtask after each publish, and a server
 * handles each socket's data in a callback of its own, with microtasks run in between; so under
 * load every request or reply is one system call, on this side and on the server's. Deferred to
 * the turn's end, the publishes of all the callbacks of a turn go in one write. The price is the
 * rest of the turn, a few microseconds when the process is idle.
 */
export function publishAtTurnEnd(nc: NatsConnection, publish: () => void): void {
  let queue = waiting.get(nc);
  if (queue === undefined) {
    const created: Array<() => void> = [];
    queue = created;
    waiting.set(nc, created);
    setImmediate(() => {
      waiting.delete(nc);
      for (const run of created) {
        run();
      }
    });
  }
  queue.push(publish);
}
