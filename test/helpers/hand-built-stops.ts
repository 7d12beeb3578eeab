import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import type { InfoResponse, StatsResponse } from "../../runtime/src/host/micro-discovery.js";
import { stopMetadataKey, stopNameMetadataKey, stopPipelinesMetadataKey } from "../../runtime/src/service/service-definition.js";
import { subscribeDiscovery } from "../../runtime/src/transport/nats/discovery-subscriptions.js";

/** The counters one stop instance reports in `$SRV.STATS` as `data.pipeline`; set them at will. */
export interface HandBuiltStopCounters {
  received: number;
  forwarded: number;
  completed: number;
  dropped: number;
  failed: number;
  dead_lettered: number;
  latency_ms: { p50: number; p99: number };
}

/** One stop of a {@link handBuiltStops} instance. */
export interface HandBuiltStop {
  /** The stop's name in routes. */
  readonly name: string;
  /** The endpoint that runs it: the stop's name unless set. */
  readonly endpoint?: string;
  /** Pipelines whose route goes through it. */
  readonly pipelines?: readonly string[];
}

/** A service instance answering discovery as a host of stops would; change `counters` and it reports the new values. */
export interface HandBuiltStopsInstance {
  readonly id: string;
  /** The counters of each stop, by stop name. */
  readonly counters: Record<string, HandBuiltStopCounters>;
  /** Stops answering discovery. */
  stop(): void;
}

let instances = 0;

/**
 * Answers `$SRV.PING|INFO|STATS` on `nc` as one instance of service `service` whose endpoints
 * include the given pipeline stops (marked in `$SRV.INFO` metadata as docs/pipelines.md says) and
 * one endpoint that is no stop, reporting `counters` in each stop's `data.pipeline`: a stand-in for
 * a real stop host, built by hand on the same discovery code.
 */
export function handBuiltStops(
  nc: NatsConnection,
  service: string,
  stops: readonly HandBuiltStop[],
  options: {
    /** How long to hold the `n`th `$SRV.STATS` reply (from 1), as a busy instance would; none unless set. */
    statsDelayMs?: (n: number) => number;
  } = {},
): HandBuiltStopsInstance {
  instances += 1;
  const id = `handbuilt${instances}`;
  const counters: Record<string, HandBuiltStopCounters> = {};
  for (const stop of stops) {
    counters[stop.name] = { received: 0, forwarded: 0, completed: 0, dropped: 0, failed: 0, dead_lettered: 0, latency_ms: { p50: 0, p99: 0 } };
  }
  const base = { name: service, id, version: "1.0.0", metadata: {} };
  const endpointName = (stop: HandBuiltStop) => stop.endpoint ?? stop.name;
  const info = (): InfoResponse => ({
    ...base,
    type: "io.nats.micro.v1.info_response",
    description: "",
    endpoints: [
      ...stops.map((stop) => ({
        name: endpointName(stop),
        subject: `test.${service}.${endpointName(stop)}`,
        queue_group: "q",
        metadata: { [stopMetadataKey]: "true", [stopNameMetadataKey]: stop.name, [stopPipelinesMetadataKey]: (stop.pipelines ?? []).join(",") },
      })),
      { name: "NotAStop", subject: `test.${service}.NotAStop`, queue_group: "q", metadata: {} },
    ],
  });
  const stats = (): StatsResponse => ({
    ...base,
    type: "io.nats.micro.v1.stats_response",
    started: new Date(0).toISOString(),
    endpoints: [
      ...stops.map((stop) => ({
        name: endpointName(stop),
        subject: `test.${service}.${endpointName(stop)}`,
        queue_group: "q",
        num_requests: counters[stop.name]!.received,
        num_errors: counters[stop.name]!.failed,
        last_error: "",
        processing_time: 0,
        average_processing_time: 0,
        data: { pipeline: structuredClone(counters[stop.name]!) },
      })),
      {
        name: "NotAStop",
        subject: `test.${service}.NotAStop`,
        queue_group: "q",
        num_requests: 7,
        num_errors: 0,
        last_error: "",
        processing_time: 0,
        average_processing_time: 0,
        // Counters where a stop has them, on an endpoint that is no stop: they must not show.
        data: { pipeline: { received: 1000 } },
      },
    ],
  });
  let statsReplies = 0;
  let subscriptions: Subscription[] = subscribeDiscovery(nc, service, id, (verb) => (verb === "INFO" ? info() : verb === "STATS" ? stats() : { ...base, type: "io.nats.micro.v1.ping_response" }));
  if (options.statsDelayMs !== undefined) {
    const delayOf = options.statsDelayMs;
    // `$SRV.STATS` (all services) answered here instead, after the delay: the other subjects stay as they are.
    subscriptions.find((subscription) => subscription.getSubject() === "$SRV.STATS")?.unsubscribe();
    subscriptions = subscriptions.filter((subscription) => subscription.getSubject() !== "$SRV.STATS");
    const encoder = new TextEncoder();
    subscriptions.push(
      nc.subscribe("$SRV.STATS", {
        callback: (error, msg) => {
          statsReplies += 1;
          const reply = encoder.encode(JSON.stringify(stats()));
          if (error === null) {
            setTimeout(() => msg.respond(reply), delayOf(statsReplies));
          }
        },
      }),
    );
  }
  return {
    id,
    counters,
    stop: () => {
      for (const subscription of subscriptions) {
        subscription.unsubscribe();
      }
    },
  };
}
