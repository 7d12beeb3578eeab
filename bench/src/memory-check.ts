import type { LoadClientProcess, ServerProcess } from "./bench-processes.js";

/** The host's memory after a few requests and after many. */
export interface MemoryCheck {
  baselineRequests: number;
  totalRequests: number;
  baselineRssBytes: number;
  finalRssBytes: number;
  baselineHeapBytes: number;
  finalHeapBytes: number;
  /** finalRss / baselineRss. */
  rssRatio: number;
  /** Every reading, the one a tenth of the way in among them, to tell warm-up from growth per request. */
  readings: MemoryReading[];
}

/** The host's memory after a number of requests. */
export interface MemoryReading {
  requests: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Memory of Buffers and other objects outside V8's heap. */
  externalBytes: number;
}

/** Requests in flight while the memory check runs. */
const memoryInFlight = 16;

/**
 * Measures a freshly started host's resident memory after its first requests (1,000, or half the
 * total if that is smaller) and again after `totalRequests`, with a full garbage collection before
 * each reading (the host runs with --expose-gc), so that the comparison shows what stays in memory
 * per request rather than when the collector last ran.
 */
export async function checkHostMemory(server: ServerProcess, client: LoadClientProcess, totalRequests: number): Promise<MemoryCheck> {
  const baselineRequests = Math.min(1_000, Math.floor(totalRequests / 2));
  const timeoutMs = 300_000;
  const runFor = async (requests: number) => {
    const result = await client.run(
      { inFlight: memoryInFlight, warmupRequests: 0, warmupMs: 0, requests, durationMs: timeoutMs },
      async () => undefined,
      timeoutMs,
    );
    if (result.requests !== requests) {
      throw new Error(`memory check: ${result.requests} of ${requests} requests done within ${timeoutMs} ms`);
    }
  };
  const readings: MemoryReading[] = [];
  const readAfter = async (requests: number) => {
    const usage = await server.usage(true);
    readings.push({ requests, rssBytes: usage.rssBytes, heapUsedBytes: usage.heapUsedBytes, externalBytes: usage.externalBytes });
    return usage;
  };
  await runFor(baselineRequests);
  const baseline = await readAfter(baselineRequests);
  const tenth = Math.floor(totalRequests / 10);
  if (tenth > baselineRequests) {
    await runFor(tenth - baselineRequests);
    await readAfter(tenth);
  }
  await runFor(totalRequests - Math.max(tenth, baselineRequests));
  const final = await readAfter(totalRequests);
  return {
    readings,
    baselineRequests,
    totalRequests,
    baselineRssBytes: baseline.rssBytes,
    finalRssBytes: final.rssBytes,
    baselineHeapBytes: baseline.heapUsedBytes,
    finalHeapBytes: final.heapUsedBytes,
    rssRatio: final.rssBytes / baseline.rssBytes,
  };
}
