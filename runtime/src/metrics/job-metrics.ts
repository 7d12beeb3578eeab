import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { defaultLatencyBuckets } from "./rpc-metrics.js";

/** Options of {@link createJobMetrics}. */
export interface JobMetricsOptions {
  /** Where the metrics are registered (the RPC metrics' registry, to serve both on one `/metrics`); a new one by default. */
  registry?: Registry;
  /** Prefix of every metric name; `nats_micro_` by default. */
  prefix?: string;
  /** Upper bounds of the duration histogram, in seconds. */
  buckets?: readonly number[];
}

/** Prometheus metrics of a job worker (docs/jobs.md, docs/metrics.md). */
export interface PrometheusJobMetrics {
  readonly registry: Registry;
  readonly jobs: Counter<"service" | "method" | "outcome">;
  readonly duration: Histogram<"service" | "method" | "outcome">;
  readonly queued: Gauge<"service" | "method">;
  readonly oldestAge: Gauge<"service" | "method">;
}

/**
 * Creates the metrics of a job worker, to pass as `metrics` to `serveJobs`: deliveries by method
 * and outcome, their duration, and the depth and oldest age of each method's queue.
 *
 * @example
 * const rpc = createRpcMetrics();
 * await serveCalc(nc, handlers, { metrics: rpc, entryPoints: [serveJobs({ metrics: createJobMetrics({ registry: rpc.registry }) })] });
 */
export function createJobMetrics(options: JobMetricsOptions = {}): PrometheusJobMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? "nats_micro_";
  return {
    registry,
    jobs: new Counter({
      name: `${prefix}jobs_total`,
      help: "Job deliveries a worker finished, by method and outcome (completed, failed, dead, retried, given_back, lost).",
      labelNames: ["service", "method", "outcome"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: `${prefix}job_duration_seconds`,
      help: "Time from a job's delivery to its stored outcome, in seconds.",
      labelNames: ["service", "method", "outcome"],
      buckets: [...(options.buckets ?? defaultLatencyBuckets)],
      registers: [registry],
    }),
    queued: new Gauge({
      name: `${prefix}jobs_queued`,
      help: "Jobs in a method's work queue, waiting or running, as last read from the server.",
      labelNames: ["service", "method"],
      registers: [registry],
    }),
    oldestAge: new Gauge({
      name: `${prefix}jobs_oldest_age_seconds`,
      help: "Age of the oldest job in a method's work queue, in seconds, as last read from the server.",
      labelNames: ["service", "method"],
      registers: [registry],
    }),
  };
}
