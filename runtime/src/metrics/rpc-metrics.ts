import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Labels of the request counters: `code` is `ok` or the `RpcError` code of the failure. */
export type CodeLabels = "service" | "method" | "code";
/** Labels of the histograms and the in-flight gauge. */
export type MethodLabels = "service" | "method";

/**
 * Upper bounds of the latency histograms, in seconds. NATS requests on one network take well
 * under a millisecond of transport, so the buckets start at half a millisecond; they end at ten
 * seconds, past the default call timeout of five.
 */
export const defaultLatencyBuckets: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Gauges of prom-client's default metrics whose names end in `_total`, which Prometheus keeps for
 * counters (`promtool check metrics` rejects them). Each is the sum over the `type` label of the
 * gauge of the same name without `_total` (`nodejs_active_handles{type}`, ...), which stays, so
 * dropping them loses nothing.
 */
const gaugesNamedLikeCounters = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/** Options of {@link createRpcMetrics}. */
export interface RpcMetricsOptions {
  /** Where the metrics are registered; a new `Registry` by default, so that two sets never collide. */
  registry?: Registry;
  /** Prefix of every metric name; `nats_rpc_` by default. */
  prefix?: string;
  /** Upper bounds of the latency histograms, in seconds; {@link defaultLatencyBuckets} by default. */
  buckets?: readonly number[];
  /**
   * Also collect prom-client's default process and Node.js metrics (`process_cpu_seconds_total`,
   * `nodejs_heap_size_used_bytes`, ...) in the same registry, less the three `nodejs_active_*_total`
   * gauges whose names break Prometheus conventions. Off by default: a registry may hold them only
   * once, and a program with two metric sets wants them once.
   */
  processMetrics?: boolean;
}

/** Metrics a host records: one series per service, method and (for the counter) code. */
export interface ServerRpcMetrics {
  /** `nats_rpc_server_requests_total{service,method,code}`: requests answered, by outcome. */
  readonly requests: Counter<CodeLabels>;
  /** `nats_rpc_server_request_duration_seconds{service,method}`: arrival to reply. */
  readonly duration: Histogram<MethodLabels>;
  /** `nats_rpc_server_requests_in_flight{service,method}`: requests received and not yet answered. */
  readonly inFlight: Gauge<MethodLabels>;
  /** `nats_rpc_server_stream_messages_total{service,method,direction}`: messages of streams, `in` from callers, `out` to them. */
  readonly streamMessages: Counter<"service" | "method" | "direction">;
}

/** Metrics a client records: one series per service, method and (for the counter) code. */
export interface ClientRpcMetrics {
  /** `nats_rpc_client_requests_total{service,method,code}`: calls finished, by outcome. */
  readonly requests: Counter<CodeLabels>;
  /** `nats_rpc_client_request_duration_seconds{service,method}`: call to reply or failure. */
  readonly duration: Histogram<MethodLabels>;
  /** `nats_rpc_client_retries_total{service,method}`: attempts a retry policy made after the first. */
  readonly retries: Counter<MethodLabels>;
}

/**
 * Prometheus metrics of RPCs, to pass as the `metrics` option of hosts and clients. The `service`
 * label is the ADR-32 service name (what `$SRV.INFO` reports and `nats micro` shows, overridable
 * per deployment), the `method` label the ADR-32 endpoint name (the proto method name).
 */
export interface RpcMetrics {
  /** The registry that holds the metrics: scrape it with `registry.metrics()` or {@link serveMetrics}. */
  readonly registry: Registry;
  readonly server: ServerRpcMetrics;
  readonly client: ClientRpcMetrics;
}

/**
 * Creates the RPC metrics in a registry (a new one unless given).
 *
 * @example
 * const metrics = createRpcMetrics({ processMetrics: true });
 * const host = await serveCalc(nc, handlers, { metrics });
 * const endpoint = await serveMetrics(metrics.registry, { port: 9464 });
 */
export function createRpcMetrics(options: RpcMetricsOptions = {}): RpcMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? "nats_rpc_";
  const buckets = [...(options.buckets ?? defaultLatencyBuckets)];
  const registers = [registry];
  const metrics: RpcMetrics = {
    registry,
    server: {
      requests: new Counter({
        name: `${prefix}server_requests_total`,
        help: "Requests a service host answered, by outcome: code is ok or the error code.",
        labelNames: ["service", "method", "code"],
        registers,
      }),
      duration: new Histogram({
        name: `${prefix}server_request_duration_seconds`,
        help: "Time a service host took from a request's arrival to its reply, in seconds.",
        labelNames: ["service", "method"],
        buckets,
        registers,
      }),
      inFlight: new Gauge({
        name: `${prefix}server_requests_in_flight`,
        help: "Requests a service host has received and not yet answered.",
        labelNames: ["service", "method"],
        registers,
      }),
      streamMessages: new Counter({
        name: `${prefix}server_stream_messages_total`,
        help: "Messages of the streams a service host served: direction in from callers, out to them. Each stream also counts as one request.",
        labelNames: ["service", "method", "direction"],
        registers,
      }),
    },
    client: {
      requests: new Counter({
        name: `${prefix}client_requests_total`,
        help: "Calls a client made that finished, by outcome: code is ok or the error code.",
        labelNames: ["service", "method", "code"],
        registers,
      }),
      duration: new Histogram({
        name: `${prefix}client_request_duration_seconds`,
        help: "Time a client call took from sending to its reply or failure, in seconds.",
        labelNames: ["service", "method"],
        buckets,
        registers,
      }),
      retries: new Counter({
        name: `${prefix}client_retries_total`,
        help: "Attempts a client's retry policy made after the first attempt of a call.",
        labelNames: ["service", "method"],
        registers,
      }),
    },
  };
  if (options.processMetrics === true) {
    collectDefaultMetrics({ register: registry });
    for (const name of gaugesNamedLikeCounters) {
      registry.removeSingleMetric(name);
    }
  }
  return metrics;
}
