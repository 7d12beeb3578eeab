import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";

/** A key-value bucket held in memory and kept up to date: what a stop looks things up in. */
export interface LookupCache {
  /** The value of a key, or `undefined` when the bucket has none. */
  get(key: string): string | undefined;
  /** Keys held. */
  readonly size: number;
  /** Stops following the bucket. */
  close(): Promise<void>;
}

/** How long the first load of a bucket may take before opening fails. */
const defaultLoadTimeoutMs = 30_000;

/**
 * Opens a cache of key-value bucket `bucket` (made, empty, when missing): resolves once every key
 * the bucket holds is in memory, then follows its changes (puts, deletes, purges) as they happen,
 * so a lookup is a map read rather than a round trip. The seed kept such a cache in Redis, loaded
 * from its data files; here the files are loaded into the bucket (scripts/load-data.mjs).
 */
export async function openLookupCache(nc: NatsConnection, bucket: string, options: { loadTimeoutMs?: number } = {}): Promise<LookupCache> {
  const kv = await new Kvm(nc).create(bucket, { history: 1 });
  const values = new Map<string, string>();
  const empty = (await kv.status()).values === 0;
  const watch = await kv.watch();
  let loaded: () => void = () => {};
  const initialLoad = new Promise<void>((resolve) => (loaded = resolve));
  if (empty) {
    loaded();
  }
  const following = (async () => {
    for await (const entry of watch) {
      if (entry.operation === "PUT") {
        values.set(entry.key, entry.string());
      } else {
        values.delete(entry.key);
      }
      // The entry with nothing pending after it is the last of those the bucket held.
      if (entry.delta === 0) {
        loaded();
      }
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      initialLoad,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`bucket ${bucket}: not loaded within ${options.loadTimeoutMs ?? defaultLoadTimeoutMs} ms`)), options.loadTimeoutMs ?? defaultLoadTimeoutMs);
      }),
    ]);
  } catch (error) {
    watch.stop();
    await following.catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    get: (key) => values.get(key),
    get size() {
      return values.size;
    },
    close: async () => {
      watch.stop();
      await following.catch(() => undefined);
    },
  };
}
