import type { InfoResponse, StatsResponse } from "../host/micro-discovery.js";
import { stopMetadataKey, stopNameMetadataKey, stopPipelinesMetadataKey } from "../service/service-definition.js";

/** The counters one stop reports, summed over its instances: what the status page shows per stop. */
export interface StopStatus {
  /** The stop's name in routes. */
  readonly name: string;
  /** The ADR-32 service and endpoint that run it. */
  readonly service: string;
  readonly endpoint: string;
  /** The pipelines whose declared route goes through it. */
  readonly pipelines: readonly string[];
  /** Running instances that report it. */
  readonly instances: number;
  readonly received: number;
  readonly forwarded: number;
  /** Messages whose route ended at the stop: what a sink delivered. */
  readonly completed: number;
  readonly dropped: number;
  readonly failed: number;
  readonly dead_lettered: number;
  /**
   * Time of a message at the stop, in milliseconds: `p50` is the instances' medians weighted by
   * what each received (instances do not report enough to merge exactly), `p99` the highest of
   * theirs, so that one slow instance shows. Zero until a message has come.
   */
  readonly latency_ms: { readonly p50: number; readonly p99: number };
}

/** What the status page serves as JSON and sends on each update. */
export interface PipelineStatus {
  /** When the instances were last asked, ISO 8601. */
  readonly updated: string;
  /** The pipeline the page is limited to, when it is. */
  readonly pipeline?: string;
  /** The stops, in the order asked for, then by name. */
  readonly stops: readonly StopStatus[];
}

/** A stop endpoint as one instance's `$SRV.INFO` describes it. */
interface StopEndpoint {
  readonly name: string;
  readonly pipelines: readonly string[];
}

/** Which endpoints of one instance are stops, by endpoint name, read from its `$SRV.INFO` reply. */
export function stopEndpointsOf(info: InfoResponse): Map<string, StopEndpoint> {
  const stops = new Map<string, StopEndpoint>();
  for (const endpoint of Array.isArray(info.endpoints) ? info.endpoints : []) {
    const metadata = endpoint.metadata ?? {};
    if (metadata[stopMetadataKey] !== "true") {
      continue;
    }
    const pipelines = (metadata[stopPipelinesMetadataKey] ?? "")
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "");
    stops.set(endpoint.name, { name: metadata[stopNameMetadataKey] || endpoint.name, pipelines });
  }
  return stops;
}

/** The key of one instance of a service: ids are unique per service only. */
export function instanceKey(reply: { name: string; id: string }): string {
  return `${reply.name}\u0000${reply.id}`;
}

/** What {@link summarizeStops} takes besides the replies. */
export interface SummarizeOptions {
  /** Show only the stops on this pipeline's declared route. */
  readonly pipeline?: string;
  /** Stop names to show first, in this order (a route); the others follow by name. */
  readonly order?: readonly string[];
}

interface Totals {
  service: string;
  endpoint: string;
  pipelines: Set<string>;
  instances: number;
  received: number;
  forwarded: number;
  completed: number;
  dropped: number;
  failed: number;
  dead_lettered: number;
  weightedP50: number;
  p99: number;
}

/**
 * Sums each stop's counters over its instances: `stats` are `$SRV.STATS` replies, `stopsByInstance`
 * the stop endpoints of each instance (by {@link instanceKey}, from {@link stopEndpointsOf}). An
 * instance whose stops are not known, an endpoint that is no stop, or counters that are not numbers
 * are left out (or counted as zero), never an error: the page shows what it can.
 */
export function summarizeStops(stats: readonly StatsResponse[], stopsByInstance: ReadonlyMap<string, ReadonlyMap<string, StopEndpoint>>, options: SummarizeOptions = {}, now = new Date()): PipelineStatus {
  const totals = new Map<string, Totals>();
  for (const reply of stats) {
    const stops = stopsByInstance.get(instanceKey(reply));
    if (stops === undefined || !Array.isArray(reply.endpoints)) {
      continue;
    }
    for (const endpoint of reply.endpoints) {
      const stop = stops.get(endpoint.name);
      if (stop === undefined || (options.pipeline !== undefined && !stop.pipelines.includes(options.pipeline))) {
        continue;
      }
      const counters = pipelineCounters(endpoint.data);
      let total = totals.get(stop.name);
      if (total === undefined) {
        total = { service: reply.name, endpoint: endpoint.name, pipelines: new Set(), instances: 0, received: 0, forwarded: 0, completed: 0, dropped: 0, failed: 0, dead_lettered: 0, weightedP50: 0, p99: 0 };
        totals.set(stop.name, total);
      }
      for (const pipeline of stop.pipelines) {
        total.pipelines.add(pipeline);
      }
      total.instances += 1;
      total.received += counters.received;
      total.forwarded += counters.forwarded;
      total.completed += counters.completed;
      total.dropped += counters.dropped;
      total.failed += counters.failed;
      total.dead_lettered += counters.dead_lettered;
      total.weightedP50 += counters.p50 * counters.received;
      total.p99 = Math.max(total.p99, counters.p99);
    }
  }
  const order = options.order ?? [];
  const rank = (name: string) => {
    const index = order.indexOf(name);
    return index === -1 ? order.length : index;
  };
  const names = [...totals.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return {
    updated: now.toISOString(),
    ...(options.pipeline === undefined ? {} : { pipeline: options.pipeline }),
    stops: names.map((name): StopStatus => {
      const total = totals.get(name)!;
      return {
        name,
        service: total.service,
        endpoint: total.endpoint,
        pipelines: [...total.pipelines].sort(),
        instances: total.instances,
        received: total.received,
        forwarded: total.forwarded,
        completed: total.completed,
        dropped: total.dropped,
        failed: total.failed,
        dead_lettered: total.dead_lettered,
        latency_ms: { p50: total.received === 0 ? 0 : round(total.weightedP50 / total.received), p99: round(total.p99) },
      };
    }),
  };
}

// `data.pipeline` of a stop's stats, each counter a finite number at least zero, else zero.
function pipelineCounters(data: Record<string, unknown> | undefined) {
  const pipeline = objectOrEmpty(data?.["pipeline"]);
  const latency = objectOrEmpty(pipeline["latency_ms"]);
  const count = (value: unknown) => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : 0);
  return {
    received: count(pipeline["received"]),
    forwarded: count(pipeline["forwarded"]),
    completed: count(pipeline["completed"]),
    dropped: count(pipeline["dropped"]),
    failed: count(pipeline["failed"]),
    dead_lettered: count(pipeline["dead_lettered"]),
    p50: count(latency["p50"]),
    p99: count(latency["p99"]),
  };
}

function objectOrEmpty(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

// Milliseconds to three decimals: microseconds are the finest a page needs.
function round(milliseconds: number): number {
  return Math.round(milliseconds * 1000) / 1000;
}
