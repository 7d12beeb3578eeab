import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { emailsBucket, whitelistBucket, whitelistKey, type LookupData } from "./lookup-data.js";

/** Writes at once while loading: enough to keep JetStream busy, few enough to bound what is in flight. */
const writesInFlight = 64;

/** What {@link loadLookupData} wrote. */
export interface LoadedLookupData {
  readonly emails: number;
  readonly whitelisted: number;
  /** Keys of earlier loads that the data no longer has, deleted. */
  readonly removed: number;
}

/**
 * Puts the lookup data in its key-value buckets (made when missing), as the seed loaded its data
 * files into its cache: every email under its account number, every whitelisted email under
 * {@link whitelistKey}. Keys of an earlier load that the data no longer has are deleted, so the
 * buckets end up holding exactly the data. The stops' caches follow the buckets as they change.
 */
export async function loadLookupData(nc: NatsConnection, data: LookupData): Promise<LoadedLookupData> {
  const kvm = new Kvm(nc);
  const [emails, whitelist] = await Promise.all([kvm.create(emailsBucket, { history: 1 }), kvm.create(whitelistBucket, { history: 1 })]);
  const removed = (await removeOthers(emails, new Set(data.emails.keys()))) + (await removeOthers(whitelist, new Set(data.whitelist.map(whitelistKey))));
  await inBatches([...data.emails], ([account, email]) => emails.put(account, email));
  await inBatches(data.whitelist, (email) => whitelist.put(whitelistKey(email), email));
  return { emails: data.emails.size, whitelisted: data.whitelist.length, removed };
}

async function removeOthers(kv: KV, keep: ReadonlySet<string>): Promise<number> {
  const stale: string[] = [];
  for await (const key of await kv.keys()) {
    if (!keep.has(key)) {
      stale.push(key);
    }
  }
  await inBatches(stale, (key) => kv.delete(key));
  return stale.length;
}

async function inBatches<T>(items: readonly T[], write: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += writesInFlight) {
    await Promise.all(items.slice(start, start + writesInFlight).map(write));
  }
}
