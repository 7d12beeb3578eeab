/**
 * The messages the runner exchanges with its child processes over Node's IPC channel. Every
 * server and load client is a separate process, so that the timed client, the server and
 * nats-server each have their own CPU account.
 */

/** How a client connects to nats-server (the settings that change speed are named here). */
export interface NatsClientSettings {
  /** nats.js `noAsyncTraces`: true skips the stack captured for every request. */
  noAsyncTraces: boolean;
}

/** One measured run, as the runner asks a load client for it. */
export interface LoadRunRequest {
  type: "run";
  /** Requests kept in flight at once. */
  inFlight: number;
  /** Warm-up: ends after this many requests or this many milliseconds, whichever comes first. */
  warmupRequests: number;
  warmupMs: number;
  /** Measurement: ends after this many requests or this many milliseconds, whichever comes first. */
  requests: number;
  durationMs: number;
}

/** What the runner sends a load client. `measure` starts the measurement after the warm-up. */
export type LoadClientCommand = LoadRunRequest | { type: "measure" } | { type: "exit" };

/** What a load client measured in one run. */
export interface LoadRunResult {
  type: "result";
  requests: number;
  elapsedMs: number;
  /** Latency percentiles, in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /** CPU time the client process spent during the measurement (user + system), in milliseconds. */
  cpuMs: number;
}

/** What a load client tells the runner. */
export type LoadClientEvent = { type: "ready" } | { type: "warmed" } | LoadRunResult | { type: "failed"; message: string };

/** What the runner sends a server. */
export type ServerCommand = { type: "usage"; collectGarbage: boolean } | { type: "exit" };

/** Resources a server process has used so far. */
export interface ServerUsage {
  type: "usage";
  /** CPU time (user + system) since the process started, in milliseconds. */
  cpuMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

/** What a server tells the runner: its address once it serves, and its usage when asked. */
export type ServerEvent = { type: "ready"; address: string } | ServerUsage | { type: "failed"; message: string };
