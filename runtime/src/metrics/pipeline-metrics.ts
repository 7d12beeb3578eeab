import { Counter, Histogram, Registry } from "prom-client";
import { defaultLatencyBuckets } from "./rpc-metrics.js";

/** Options of {@link createPipelineMetrics}. */
export interface PipelineMetricsOptions {
  /** Where the metrics are registered (the RPC metrics' registry, to serve both on one `/metrics`); a new one by default. */
  registry?: Registry;
  /** Prefix of every metric name; `nats_micro_` by default. */
  prefix?: string;
  /** Upper bounds of the duration histogram, in seconds. */
  buckets?: readonly number[];
}

/** Prometheus metrics of the pipeline stops of a host (docs/pipelines.md, docs/metrics.md). */
export interface PrometheusPipelineMetrics {
  readonly registry: Registry;
  readonly messages: Counter<"service" | "stop" | "event">;
  readonly duration: Histogram<"service" | "stop" | "outcome">;
}

/**
 * Creates the metrics of a host's pipeline stops, to pass as `metrics` to `servePipeline`:
 * messages by stop and event (received, forwarded, completed, dropped, failed, dead_lettered) and
 * the time each stop took over a message.
 *
 * @example
 * const rpc = createRpcMetrics();
 * await serveParcels(nc, handlers, { metrics: rpc, entryPoints: [servePipeline({ metrics: createPipelineMetrics({ registry: rpc.registry }) })] });
 */
export function createPipelineMetrics(options: PipelineMetricsOptions = {}): PrometheusPipelineMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? "nats_micro_";
  return {
    registry,
    messages: new Counter({
      name: `${prefix}pipeline_messages_total`,
      help: "Pipeline messages at a stop by event: received, forwarded, completed (the route ended), dropped, dead_lettered; and failed attempts.",
      labelNames: ["service", "stop", "event"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: `${prefix}pipeline_stop_duration_seconds`,
      help: "Time a stop took over a message, from its delivery to the forward stored (or the drop, the retry, the dead letter), in seconds.",
      labelNames: ["service", "stop", "outcome"],
      buckets: [...(options.buckets ?? defaultLatencyBuckets)],
      registers: [registry],
    }),
  };
}
