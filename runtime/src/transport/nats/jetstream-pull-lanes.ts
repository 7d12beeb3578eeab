import type { Consumer, ConsumerMessages, JsMsg } from "./jetstream-client.js";
import type { LeaseRenewer } from "./jetstream-lease-renewer.js";
import { createSlotPool, type SlotPool } from "./slot-pool.js";

/** One consumer whose messages the lanes pull, and what runs each message. */
export interface PullSource {
  readonly consumer: Consumer;
  /** Runs one message to its end (ack, nak, or left for redelivery); never throws. */
  run(msg: JsMsg): Promise<void>;
}

/** How {@link startPullLanes} pulls. */
export interface PullLaneOptions {
  /** Lanes per consumer: each is one long-lived `consume()`. */
  lanes: number;
  /** Messages a lane asks for, and runs, at once. */
  batch: number;
  /** Renews the lease of a message while it waits for a place. */
  leases: LeaseRenewer;
  /** How long one pull waits for messages before it asks again. */
  pullExpiresMs?: number;
}

/** Lanes started by {@link startPullLanes}. */
export interface PullLanes {
  /**
   * Stops pulling: a message pulled but not yet run is given back (`nak`), and the promise
   * resolves once every message being run has ended.
   */
  stop(): Promise<void>;
}

// How long one pull waits for a message before it asks again, unless told otherwise.
const defaultPullExpiresMs = 30_000;

/**
 * Runs the messages of durable pull consumers in a worker's places, as the job worker and the
 * pipeline stops do: `lanes` lanes per consumer, each a `consume()` of `batch` messages that runs
 * them in free places of `slots`. A lane asks its iterator for a message only when fewer than
 * `batch` of its own are running, and nats.js sends the next pull only when the iterator comes
 * back for more; so a lane holds at most `batch` messages that do not run yet. With a batch of one
 * a lane never holds a message it cannot run: the next pull goes out after the message has run.
 * A message that waits for a place of `slots` has its lease renewed (`leases`).
 * Each pull waits `pullExpiresMs` for messages before it asks again: the pulls of a process that
 * is killed stay at the server that long.
 */
export function startPullLanes(sources: readonly PullSource[], slots: SlotPool, options: PullLaneOptions): PullLanes {
  const { lanes, batch, leases, pullExpiresMs = defaultPullExpiresMs } = options;
  let stopping = false;
  const stoppingController = new AbortController();
  const pulls = new Set<ConsumerMessages>();
  const runLane = async (source: PullSource) => {
    // The lane's own room: `batch` messages taken from its iterator and not ended.
    const room = createSlotPool(batch);
    const running = new Set<Promise<void>>();
    while (!stopping) {
      let pull: ConsumerMessages;
      try {
        pull = await source.consumer.consume({ max_messages: batch, expires: pullExpiresMs, threshold_messages: refillBelow(batch) });
      } catch {
        // A lost connection or a deleted consumer: wait a little rather than spin, then pull again.
        await pause(1_000, stoppingController.signal);
        continue;
      }
      pulls.add(pull);
      if (stopping) {
        // Opened while stop() closed the others: it would hold the lane until it expires.
        void pull.close();
      }
      const messages = pull[Symbol.asyncIterator]();
      try {
        for (;;) {
          await room.acquire();
          if (stopping) {
            // Not another step of the iterator: it would send the next pull (nats.js queues it
            // among the messages), and the server could hand messages to it after the lane is
            // gone, to wait out their lease. What nats.js still holds comes back after the lease.
            room.release();
            await messages.return?.();
            break;
          }
          const next = await messages.next().catch((error: unknown) => {
            room.release();
            throw error;
          });
          if (next.done === true) {
            room.release();
            break;
          }
          const msg = next.value;
          if (!stopping && !slots.tryAcquire()) {
            const release = leases.hold(msg);
            await slots.acquire();
            release();
            if (stopping) {
              slots.release();
            }
          }
          if (stopping) {
            // Taken while the worker stops: given back, for another worker to take at once.
            msg.nak();
            room.release();
            continue;
          }
          const run = source.run(msg).finally(() => {
            slots.release();
            room.release();
            running.delete(run);
          });
          running.add(run);
        }
        if (!stopping) {
          // The iterator ended by itself (nats.js gave up on the consumer): not in a tight loop.
          await pause(1_000, stoppingController.signal);
        }
      } catch {
        await pause(1_000, stoppingController.signal);
      } finally {
        pulls.delete(pull);
        void pull.close();
      }
    }
    await Promise.allSettled(running);
  };
  const started: Promise<void>[] = [];
  for (const source of sources) {
    for (let lane = 0; lane < lanes; lane += 1) {
      started.push(runLane(source));
    }
  }
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        stopping = true;
        stoppingController.abort();
        await Promise.allSettled([...pulls].map((pull) => pull.close()));
        await Promise.allSettled(started);
      })();
      return stopped;
    },
  };
}

// The messages still to come from the server below which a lane asks for more: half its batch.
// (nats.js's own default, three quarters, sends a pull for every quarter of a batch; each pull is
// a request the server parses and queues, and halving them moved a pipeline stop 5-10 %.)
function refillBelow(batch: number): number {
  return Math.max(1, Math.floor(batch / 2));
}

function pause(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, milliseconds);
    signal.addEventListener("abort", done, { once: true });
  });
}
