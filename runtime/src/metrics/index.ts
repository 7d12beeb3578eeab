// "nats-micro-runtime/metrics": Prometheus metrics for hosts and clients (prom-client), and a
// /metrics endpoint.
export {
  createRpcMetrics,
  defaultLatencyBuckets,
  type ClientRpcMetrics,
  type RpcMetrics,
  type RpcMetricsOptions,
  type ServerRpcMetrics,
} from "./rpc-metrics.js";
export { okCode } from "./method-metrics.js";
export { serveMetrics, type MetricsEndpoint, type MetricsSource, type ServeMetricsOptions } from "./serve-metrics.js";
export { createGatewayMetrics, type GatewayMetricsOptions, type HttpGatewayMetrics } from "./gateway-metrics.js";
export { createJobMetrics, type JobMetricsOptions, type PrometheusJobMetrics } from "./job-metrics.js";
export { createPipelineMetrics, type PipelineMetricsOptions, type PrometheusPipelineMetrics } from "./pipeline-metrics.js";
