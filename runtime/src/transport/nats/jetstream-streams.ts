import type { JetStreamManager } from "./jetstream-client.js";

/** A stream's configuration, as `jsm.streams.add` takes it, with its name. */
export type StreamSettings = Parameters<JetStreamManager["streams"]["add"]>[0] & { name: string };

/**
 * Adds a stream unless it exists; two processes that start together both succeed. An existing
 * stream is left as it is: whoever made it first set its configuration.
 */
export async function ensureStream(jsm: JetStreamManager, config: StreamSettings): Promise<void> {
  const exists = async () => (await jsm.streams.info(config.name).catch(() => undefined)) !== undefined;
  if (await exists()) {
    return;
  }
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (!(await exists())) {
      throw error;
    }
  }
}

/** Milliseconds in the nanoseconds of JetStream's durations. */
export const nanos = (milliseconds: number): number => milliseconds * 1_000_000;
