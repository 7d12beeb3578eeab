import type { KV } from "../transport/nats/jetstream-client.js";

/**
 * Counts the attempts of a message at a stop across deliveries, where the server's delivery count
 * cannot be trusted: nats-server 2.9 hands redeliveries to the pulls of a killed process and then
 * reports a delivery count of 1 again (docs/pipelines.md, "Limits"). A message on its first
 * delivery costs nothing: the count is read and written only for a message that may have been
 * tried before (delivered more than once, or stored longer than a lease ago) and for a failed
 * attempt, so a message that kills its stop's process every time is dead-lettered after at most
 * one attempt more than its policy's.
 */
export interface AttemptLedger {
  /** Attempts made before this delivery. */
  readonly previous: number;
  /** Whether this delivery's attempt must be written before the handler runs. */
  readonly suspect: boolean;
  /** Writes that attempt `attempt` started (or failed). */
  record(attempt: number): Promise<void>;
  /** Forgets the message once it has left the stop, when anything was written. */
  forget(): void;
}

/** Reads a message's attempts so far. */
export async function readAttempts(bucket: () => Promise<KV>, key: string, deliveryCount: number, ageMs: number, leaseMs: number): Promise<AttemptLedger> {
  // A redelivery comes a lease after the delivery before it at the soonest; a retry after a nak
  // says so in its delivery count, and its failure was written.
  const suspect = deliveryCount > 1 || ageMs >= leaseMs;
  let written = false;
  let previous = 0;
  if (suspect) {
    const entry = await (await bucket()).get(key);
    if (entry !== null && entry.operation === "PUT") {
      written = true;
      previous = Number(entry.string()) || 0;
    }
  }
  return {
    previous,
    suspect,
    async record(attempt) {
      await (await bucket()).put(key, String(attempt));
      written = true;
    },
    forget() {
      if (written) {
        void bucket()
          .then((kv) => kv.purge(key))
          .catch(() => undefined); // the bucket's TTL removes it anyway
      }
    },
  };
}
