/**
 * What a gateway records of each HTTP request, per route: a structural type of prom-client's
 * `Counter` and `Histogram`, so that the gateway loads no prom-client (`createGatewayMetrics` of
 * "nats-micro-runtime/metrics" makes them).
 */
export interface GatewayMetrics {
  /** `nats_gateway_requests_total{route,method,status}`. */
  readonly requests: { inc(labels: { route: string; method: string; status: string }): void };
  /** `nats_gateway_request_duration_seconds{route,method}`. */
  readonly duration: { observe(labels: { route: string; method: string }, seconds: number): void };
}
