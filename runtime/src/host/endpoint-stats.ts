/** Counters of one endpoint, as `$SRV.STATS` reports them. */
export interface EndpointStats {
  numRequests: number;
  numErrors: number;
  /** `"<code>: <message>"` of the last error; `""` while there has been none. */
  lastError: string;
  /** Total time from request to reply, in nanoseconds. */
  processingTimeNs: number;
}

/** Fresh counters. */
export function createEndpointStats(): EndpointStats {
  return { numRequests: 0, numErrors: 0, lastError: "", processingTimeNs: 0 };
}

/**
 * Counts one finished request, measured from its arrival to its reply (or to the moment it was
 * given up), so that async handlers are timed for what they really take.
 */
export function recordRequest(stats: EndpointStats, startedAt: bigint, error: string | undefined): void {
  stats.numRequests += 1;
  stats.processingTimeNs += Number(process.hrtime.bigint() - startedAt);
  if (error !== undefined) {
    stats.numErrors += 1;
    stats.lastError = error;
  }
}

/** Average processing time in whole nanoseconds. */
export function averageProcessingTimeNs(stats: EndpointStats): number {
  return stats.numRequests === 0 ? 0 : Math.round(stats.processingTimeNs / stats.numRequests);
}
