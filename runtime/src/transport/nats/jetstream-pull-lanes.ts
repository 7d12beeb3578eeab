import type { Consumer, ConsumerMessages, JsMsg } from "./jetstream-client.js";
import type { SlotPool } from "./slot-pool.js";

/** One consumer whose messages the lanes pull, and what runs each message. */
export interface PullSource {
  readonly consumer: Consumer;
  /** Runs one message to its end (ack, nak, or left for redelivery); never throws. */
  run(msg: JsMsg): Promise<void>;
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
 * pipeline stops do: `lanesPerSource` lanes per consumer, each pulling one message at a time and
 * running it in a free place of `slots`. With one consumer the lanes never hold more messages
 * than there are places; with several, a message may wait for a place, its lease renewed
 * (`working()`) every third of `leaseMs` meanwhile. Each pull waits `pullExpiresMs` for a message
 * before it asks again: the pulls of a process that is killed stay at the server that long.
 */
export function startPullLanes(sources: readonly PullSource[], lanesPerSource: number, slots: SlotPool, leaseMs: number, pullExpiresMs = defaultPullExpiresMs): PullLanes {
  let stopping = false;
  const stoppingController = new AbortController();
  const pulls = new Set<ConsumerMessages>();
  const runLane = async (source: PullSource) => {
    while (!stopping) {
      let pull: ConsumerMessages;
      try {
        // One message per pull: the iterator asks for the next one only when the lane comes back
        // for it, after the message before has run, so a lane never holds a message it cannot run.
        pull = await source.consumer.consume({ max_messages: 1, expires: pullExpiresMs });
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
      try {
        for await (const msg of pull) {
          if (stopping) {
            msg.nak();
            break;
          }
          if (!slots.tryAcquire()) {
            const waiting = setInterval(() => msg.working(), Math.floor(leaseMs / 3));
            await slots.acquire();
            clearInterval(waiting);
          }
          if (stopping) {
            // Taken while the worker waited for a place, and the worker is stopping: back to the stream.
            msg.nak();
            slots.release();
            break;
          }
          try {
            await source.run(msg);
          } finally {
            slots.release();
          }
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
  };
  const lanes: Promise<void>[] = [];
  for (const source of sources) {
    for (let lane = 0; lane < lanesPerSource; lane += 1) {
      lanes.push(runLane(source));
    }
  }
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        stopping = true;
        stoppingController.abort();
        await Promise.allSettled([...pulls].map((pull) => pull.close()));
        await Promise.allSettled(lanes);
      })();
      return stopped;
    },
  };
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
