import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { percentile } from "../statistics.js";

/** What {@link runHttpClosedLoop} sends where. */
export interface HttpClosedLoopOptions {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** The path of every request, or of the request with this index (0 to `requests` - 1). */
  path: string | ((index: number) => string);
  /** POST unless set. */
  method?: "GET" | "POST";
  /** The JSON body of every POST. */
  body?: string;
  /** The one status that counts as success (201, say); any 2xx unless set. */
  expectedStatus?: number;
  /** Connections, each with one request in flight at a time. */
  connections: number;
  /** Requests in all. */
  requests: number;
  /** Told of each request that settles, with how many have settled. */
  onSettled?: (settled: number) => void;
}

/** How the requests of a run ended and how long they took. */
export interface HttpClosedLoopRun {
  requests: number;
  connections: number;
  elapsedMs: number;
  requestsPerSecond: number;
  /** Requests answered 2xx, or the expected status when one was set. */
  succeeded: number;
  /** The others by how they ended: `"504"`, or the error's code (`UND_ERR_SOCKET` ...). */
  failures: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Latency of every request, in milliseconds, sorted. */
  latenciesMs: Float64Array;
}

// Longer than any answer the gateway gives (its calls time out after 5 s): a request that waits
// this long counts as lost.
const requestTimeoutMs = 60_000;

/**
 * Sends `requests` requests (POSTs of `body`, or GETs) over `connections` keep-alive connections,
 * each connection sending its next request when its last one is answered (as `ab -c` does), and
 * records how each ended: the status, or the error of a request that got none, and its latency.
 */
export async function runHttpClosedLoop(options: HttpClosedLoopOptions): Promise<HttpClosedLoopRun> {
  const pool = new Pool(options.origin, { connections: options.connections, pipelining: 1, headersTimeout: requestTimeoutMs, bodyTimeout: requestTimeoutMs });
  const latencies = new Float64Array(options.requests);
  const failures: Record<string, number> = {};
  let started = 0;
  let settled = 0;
  let succeeded = 0;
  const method = options.method ?? "POST";
  const headers: Record<string, string> = method === "POST" ? { "content-type": "application/json" } : {};
  const body = method === "POST" ? (options.body ?? "") : null;
  const pathOf = typeof options.path === "string" ? () => options.path as string : options.path;
  const succeeds = (status: number) => (options.expectedStatus === undefined ? status >= 200 && status < 300 : status === options.expectedStatus);
  const loop = async () => {
    while (started < options.requests) {
      const index = started;
      started += 1;
      const sentAt = performance.now();
      let outcome: string;
      try {
        const response = await pool.request({ path: pathOf(index), method, headers, body });
        await response.body.text();
        outcome = succeeds(response.statusCode) ? "ok" : String(response.statusCode);
      } catch (error) {
        outcome = (error as { code?: string }).code ?? (error instanceof Error ? error.name : "error");
      }
      latencies[index] = performance.now() - sentAt;
      if (outcome === "ok") {
        succeeded += 1;
      } else {
        failures[outcome] = (failures[outcome] ?? 0) + 1;
      }
      settled += 1;
      options.onSettled?.(settled);
    }
  };
  const startedAt = performance.now();
  try {
    await Promise.all(Array.from({ length: options.connections }, loop));
  } finally {
    await pool.close();
  }
  const elapsedMs = performance.now() - startedAt;
  latencies.sort();
  return {
    requests: options.requests,
    connections: options.connections,
    elapsedMs,
    requestsPerSecond: (options.requests * 1_000) / elapsedMs,
    succeeded,
    failures,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    latenciesMs: latencies,
  };
}
