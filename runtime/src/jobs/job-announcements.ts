import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { NatsConnection, Subscription } from "../transport/nats/nats-client.js";
import { decodeJobRecord, isFinished, type JobRecord } from "./job-record.js";
import type { JobNames } from "./job-names.js";

/**
 * What a job client hears of the ends of its service's jobs: one subscription to every end
 * announcement (`<prefix>.<service>.done.*`), shared by all the waits of the client, rather than
 * a subscription per wait. An announcement carries the ended record when it fits in a message, so
 * that a waiter needs no read of the bucket.
 */
export interface JobAnnouncements {
  /**
   * Listens for the end of job `id`, from now on. `expected` says the job was just enqueued by
   * this client (listened for before its message was published): it cannot have ended unheard.
   * Returns whether the job was listened for so already, and is not over yet as far as heard.
   */
  listen(id: string, expected?: boolean): boolean;
  /**
   * Waits for the next end announcement of job `id` (listened for): resolves with the ended
   * record when it came with one, `true` when it came without, `false` after `milliseconds`.
   * Rejects with `canceled` when `signal` aborts.
   */
  next(id: string, milliseconds: number, signal: AbortSignal | undefined): Promise<JobRecord | boolean>;
  /** Stops listening for job `id`. */
  forget(id: string): void;
  close(): void;
}

interface Listener {
  /** Listened for before the job's message was published, and nothing heard since. */
  expected: boolean;
  heard: JobRecord | boolean;
  wake: (() => void) | undefined;
}

// Jobs enqueued and never waited for are forgotten once they end; this many at most are listened
// for at once, the oldest forgotten first (a wait for one of them reads the bucket instead).
const maxListeners = 100_000;

/** Subscribes to the end announcements of a service's jobs; resolves once the server has the subscription. */
export async function listenForJobEnds(nc: NatsConnection, names: JobNames): Promise<JobAnnouncements> {
  const listeners = new Map<string, Listener>();
  const prefix = names.doneSubject("");
  const subscription: Subscription = nc.subscribe(names.doneSubject("*"), {
    callback: (error, msg) => {
      if (error !== null) {
        return;
      }
      const id = msg.subject.slice(prefix.length);
      const listener = listeners.get(id);
      if (listener === undefined) {
        return;
      }
      const record = msg.data.length === 0 ? undefined : decodeJobRecord(msg.data);
      if (listener.wake === undefined && listener.expected) {
        listeners.delete(id); // enqueued, never waited for: nothing to keep
        return;
      }
      listener.expected = false;
      listener.heard = record !== undefined && record.id === id && isFinished(record.state) ? record : true;
      listener.wake?.();
    },
  });
  // The subscription is in place at the server before any read of the bucket that relies on it.
  await nc.flush();
  return {
    listen(id, expected = false) {
      const existing = listeners.get(id);
      if (existing !== undefined) {
        // Claimed by a waiter: what is heard from now on is kept for it.
        const wasExpected = existing.expected;
        existing.expected = false;
        return wasExpected;
      }
      if (listeners.size >= maxListeners) {
        listeners.delete(listeners.keys().next().value!);
      }
      listeners.set(id, { expected, heard: false, wake: undefined });
      return false;
    },
    async next(id, milliseconds, signal) {
      signal?.throwIfAborted();
      const listener = listeners.get(id);
      if (listener === undefined) {
        await pause(milliseconds, signal);
        return false;
      }
      if (listener.heard === false) {
        await pause(milliseconds, signal, (wake) => (listener.wake = wake));
        listener.wake = undefined;
      }
      const heard = listener.heard;
      listener.heard = false;
      return heard;
    },
    forget(id) {
      listeners.delete(id);
    },
    close() {
      subscription.unsubscribe();
      listeners.clear();
    },
  };
}

// Resolves after `milliseconds`, or when woken early through `onWake`; rejects when `signal` aborts.
function pause(milliseconds: number, signal: AbortSignal | undefined, onWake?: (wake: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", aborted);
    };
    const aborted = () => {
      done();
      reject(new RpcError("waiting for the job's result was cancelled", Code.Canceled, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => (done(), resolve()), milliseconds);
    signal?.addEventListener("abort", aborted, { once: true });
    onWake?.(() => (done(), resolve()));
  });
}
