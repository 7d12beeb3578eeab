import type { JobStore } from "./job-store.js";

/** How many jobs of a method are in the work queue (waiting, delayed or running), and how old the oldest is. */
export interface QueueDepth {
  readonly pending: number;
  /** 0 when the queue is empty. */
  readonly oldestAgeMs: number;
}

/**
 * Reads a method's queue from the server: its consumer's undelivered and unacknowledged counts,
 * and the time of the first message on its subject past the ack floor (in a work-queue stream a
 * finished job's message is gone, so that is the oldest unfinished job).
 */
export async function readQueueDepth(store: JobStore, method: string): Promise<QueueDepth> {
  const { names } = store;
  const info = await store.jsm.consumers.info(names.workStream, names.consumer(method));
  const pending = info.num_pending + info.num_ack_pending;
  if (pending === 0) {
    return { pending, oldestAgeMs: 0 };
  }
  // From past the consumer's ack floor: every unfinished job is there, and a server that was
  // killed may bring acknowledged messages back below it (seen on 2.9.10), never delivered again.
  const oldest = await store.jsm.direct.getMessage(names.workStream, { next_by_subj: names.workSubject(method), seq: info.ack_floor.stream_seq + 1 });
  return { pending, oldestAgeMs: oldest === null ? 0 : Math.max(0, Date.now() - oldest.time.getTime()) };
}
