import { Counter, Histogram, Registry } from "prom-client";
import { defaultLatencyBuckets } from "./rpc-metrics.js";

/** Options of {@link createGatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** Where the metrics are registered (the RPC metrics' registry, to serve both on one `/metrics`); a new one by default. */
  registry?: Registry;
  /** Prefix of every metric name; `nats_gateway_` by default. */
  prefix?: string;
  /** Upper bounds of the latency histogram, in seconds. */
  buckets?: readonly number[];
}

/** Prometheus metrics of an HTTP gateway: requests by route, HTTP method and status, and their latency. */
export interface HttpGatewayMetrics {
  readonly registry: Registry;
  /** `nats_gateway_requests_total{route,method,status}`; `route` is the rule (`POST /football`), `unmatched` for none. */
  readonly requests: Counter<"route" | "method" | "status">;
  /** `nats_gateway_request_duration_seconds{route,method}`: from the request's arrival to the end of the response. */
  readonly duration: Histogram<"route" | "method">;
}

/**
 * Creates the gateway's HTTP metrics, to pass as `httpMetrics` to `serveGateway`.
 *
 * @example
 * const rpc = createRpcMetrics();
 * const gateway = await serveGateway(nc, [Football], { metrics: rpc, httpMetrics: createGatewayMetrics({ registry: rpc.registry }) });
 */
export function createGatewayMetrics(options: GatewayMetricsOptions = {}): HttpGatewayMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? "nats_gateway_";
  return {
    registry,
    requests: new Counter({
      name: `${prefix}requests_total`,
      help: "HTTP requests the gateway answered, by route, method and status.",
      labelNames: ["route", "method", "status"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: `${prefix}request_duration_seconds`,
      help: "Time from an HTTP request's arrival to the end of its response, in seconds.",
      labelNames: ["route", "method"],
      buckets: [...(options.buckets ?? defaultLatencyBuckets)],
      registers: [registry],
    }),
  };
}
