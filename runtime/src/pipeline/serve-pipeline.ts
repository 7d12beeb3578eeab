import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { EntryPointHost, HostEntryPoint, RunningEntryPoint } from "../host/host-entry-point.js";
import type { HostEndpoint } from "../host/host-endpoint.js";
import { pipelinesOf } from "../service/pipeline-declarations.js";
import type { ServiceDefinition } from "../service/service-definition.js";
import { AckPolicy, DeliverPolicy } from "../transport/nats/jetstream-client.js";
import { nanos } from "../transport/nats/jetstream-streams.js";
import { startPullLanes, type PullSource } from "../transport/nats/jetstream-pull-lanes.js";
import { createLeaseRenewer } from "../transport/nats/jetstream-lease-renewer.js";
import { createSlotPool } from "../transport/nats/slot-pool.js";
import type { PipelineMetrics } from "./pipeline-metrics.js";
import { PipelineNames } from "./pipeline-names.js";
import { openPipelineStreams, type PipelineStreamOptions, type PipelineStreams } from "./pipeline-streams.js";
import { runStop, type FinishedHop, type StopRunner } from "./run-stop.js";
import { createStopCounters, recordLatency, stopStatsData, type StopCounters } from "./stop-counters.js";

/** Options of {@link servePipeline}. */
export interface PipelineServeOptions extends PipelineStreamOptions {
  /**
   * The most messages this host handles at once, over all its stops; 8 unless set. Each stop
   * takes its share (this divided by the stops, rounded up) at once.
   */
  concurrency?: number;
  /**
   * How long a message stays taken without a sign of life from its stop, in milliseconds: a stop
   * process that is killed has its messages delivered to another instance after this. Renewed
   * every third of it while the handler runs. 30 s unless set.
   */
  leaseMs?: number;
  /**
   * How long a stopping host lets its stops finish the messages they hold, in milliseconds; then
   * their signals are aborted and the messages not done are given back. 10 s unless set.
   */
  stopGraceMs?: number;
  /** Prometheus metrics (see `createPipelineMetrics` in `nats-micro-runtime/metrics`). */
  metrics?: PipelineMetrics;
  /**
   * Told of each message a stop is done with, before it is acknowledged: for logs. (A forward is
   * stored by then; the acknowledgement follows.)
   */
  onHop?: (hop: FinishedHop) => void;
}

export type { FinishedHop } from "./run-stop.js";

// Waiting messages (a back-off) count as unacknowledged too: no limit the streams would reach.
const unlimitedAckPending = 1_000_000;

// Short pulls: nats-server 2.9 may hand a redelivery to a pull of a process that was killed, and
// count the delivery wrongly (docs/pipelines.md, "Limits"); such pulls are gone after this.
const pullExpiresMs = 5_000;

/**
 * Runs the pipeline stops among a host's methods (docs/pipelines.md): pass it in the host's
 * `entryPoints`. Each stop takes its messages from its JetStream stream through one durable
 * consumer that every instance of the stop shares, runs each through the host's one call path
 * (its interceptors, deadlines, stats and metrics), and forwards the reply to the next stop of the
 * message's route before it acknowledges it. Streams and consumers are created when missing.
 *
 * @example
 * const host = await serveParcels(nc, handlers, { entryPoints: [servePipeline({ concurrency: 16 })] });
 */
export function servePipeline(options: PipelineServeOptions = {}): HostEntryPoint {
  const concurrency = options.concurrency ?? 8;
  const leaseMs = options.leaseMs ?? 30_000;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new Error(`pipeline: concurrency must be a whole number of at least 1, got ${concurrency}`);
  }
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 1_000) {
    throw new Error(`pipeline: leaseMs must be a whole number of milliseconds, at least 1000, got ${leaseMs}`);
  }
  return {
    name: "pipeline",
    start: (host) => startStops(host, options, concurrency, leaseMs),
  };
}

async function startStops(host: EntryPointHost, options: PipelineServeOptions, concurrency: number, leaseMs: number): Promise<RunningEntryPoint> {
  const { definition } = host;
  const stops = host.endpoints.filter((endpoint) => endpoint.definition.stop !== undefined);
  if (stops.length === 0) {
    const served = host.endpoints.map((endpoint) => endpoint.definition.name).join(", ");
    throw new RpcError(`pipeline: service ${definition.name} serves no stop (its methods here: ${served}); mark stops with the stop option (docs/pipelines.md)`, Code.FailedPrecondition);
  }
  const streams = await openPipelineStreams(host.nc, options);
  await streams.ensureDead();
  await streams.attempts();
  // The stops' own streams, and those of the routes declared with them: a stop may forward to a
  // stop that has not run yet, and the message waits for it.
  for (const stop of declaredStops(definition, stops)) {
    await streams.ensureStop(stop);
  }
  await ensureConsumers(streams, stops, leaseMs);

  const counters = new Map(stops.map((endpoint) => [endpoint.definition.name, createStopCounters()]));
  const stopController = new AbortController();
  const { metrics, onHop } = options;
  const runner: StopRunner = {
    nc: host.nc,
    streams,
    leaseMs,
    leases: createLeaseRenewer(leaseMs),
    stopSignal: stopController.signal,
    finished(hop) {
      count(counters.get(hop.method)!, hop, definition.name, metrics);
      onHop?.(hop);
    },
  };
  const sources: PullSource[] = [];
  for (const endpoint of stops) {
    const name = endpoint.definition.stop!.name;
    const consumer = await streams.js.consumers.get(PipelineNames.stopStream(name), PipelineNames.consumer(name));
    sources.push({ consumer, run: (msg) => runStop(runner, endpoint, msg) });
  }
  // One pull per stop, for its share of the places: a message waits in the process at most for
  // the running ones to end, and many messages cost one pull rather than one pull each.
  const batch = Math.ceil(concurrency / sources.length);
  const lanes = startPullLanes(sources, createSlotPool(concurrency), { lanes: 1, batch, leases: runner.leases, pullExpiresMs });

  let stopped: Promise<void> | undefined;
  return {
    statsData: (endpoint) => {
      const stopCounters = counters.get(endpoint);
      return stopCounters === undefined ? undefined : stopStatsData(stopCounters);
    },
    stop() {
      stopped ??= (async () => {
        const settled = lanes.stop();
        const timer = setTimeout(() => stopController.abort(new RpcError("the pipeline stop is stopping", Code.Unavailable)), options.stopGraceMs ?? 10_000);
        await settled;
        clearTimeout(timer);
        runner.leases.close();
      })();
      return stopped;
    },
  };
}

// Counts a delivery in the stop's counters and metrics.
function count(counters: StopCounters, hop: FinishedHop, service: string, metrics: PipelineMetrics | undefined): void {
  const events: string[] = [];
  if (hop.outcome !== "given_back") {
    counters.received += 1;
    events.push("received");
  }
  if (hop.attemptFailed) {
    counters.failed += 1;
    events.push("failed");
  }
  switch (hop.outcome) {
    case "forwarded":
      counters.forwarded += 1;
      events.push("forwarded");
      break;
    case "completed":
      counters.completed += 1;
      events.push("completed");
      break;
    case "dropped":
      counters.dropped += 1;
      events.push("dropped");
      break;
    case "dead_lettered":
      counters.deadLettered += 1;
      events.push("dead_lettered");
      break;
    case "retried":
    case "given_back":
      break;
  }
  if (hop.outcome !== "given_back") {
    recordLatency(counters, hop.durationMs);
  }
  if (metrics !== undefined) {
    for (const event of events) {
      metrics.messages.inc({ service, stop: hop.stop, event });
    }
    metrics.duration.observe({ service, stop: hop.stop, outcome: hop.outcome }, hop.durationMs / 1000);
  }
}

// The names of the host's stops and of every stop on the routes declared in its service's file
// (or the files it imports) that go through them.
function declaredStops(definition: ServiceDefinition, stops: readonly HostEndpoint[]): string[] {
  const own = stops.map((endpoint) => endpoint.definition.stop!.name);
  const names = new Set(own);
  const { file } = definition.service;
  for (const each of [file, ...file.dependencies]) {
    for (const service of each.services) {
      for (const pipeline of pipelinesOf(service)) {
        if (pipeline.route.some((stop) => own.includes(stop))) {
          pipeline.route.forEach((stop) => names.add(stop));
        }
      }
    }
  }
  return [...names];
}

/**
 * Creates or updates the durable consumer of each stop: explicit acks, the lease as the ack wait,
 * redelivered without end (the runner counts attempts from the delivery count and dead-letters
 * past the policy's, rather than leaving the message in the stream as `max_deliver` would).
 */
async function ensureConsumers(streams: PipelineStreams, stops: readonly HostEndpoint[], leaseMs: number): Promise<void> {
  for (const endpoint of stops) {
    const name = endpoint.definition.stop!.name;
    const stream = PipelineNames.stopStream(name);
    const config = {
      durable_name: PipelineNames.consumer(name),
      filter_subject: PipelineNames.stopSubject(name),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(leaseMs),
      max_deliver: -1,
      max_ack_pending: unlimitedAckPending,
    };
    const existing = await streams.jsm.consumers.info(stream, config.durable_name).catch(() => undefined);
    if (existing === undefined) {
      await streams.jsm.consumers.add(stream, config).catch(async (error: unknown) => {
        // Another instance made it meanwhile.
        if ((await streams.jsm.consumers.info(stream, config.durable_name).catch(() => undefined)) === undefined) {
          throw error;
        }
      });
    } else if (existing.config.ack_wait !== config.ack_wait) {
      await streams.jsm.consumers.update(stream, config.durable_name, { ack_wait: config.ack_wait });
    }
  }
}
