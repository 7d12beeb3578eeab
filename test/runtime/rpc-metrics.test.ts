import { Registry } from "prom-client";
import { createRpcMetrics } from "../../runtime/src/metrics/rpc-metrics.js";

test("each metric set has its own registry unless given one, so two sets never collide", async () => {
  const first = createRpcMetrics();
  const second = createRpcMetrics();
  expect(first.registry).not.toBe(second.registry);
  const names = (await first.registry.getMetricsAsJSON()).map((metric) => metric.name).sort();
  expect(names).toEqual([
    "nats_rpc_client_request_duration_seconds",
    "nats_rpc_client_requests_total",
    "nats_rpc_client_retries_total",
    "nats_rpc_server_request_duration_seconds",
    "nats_rpc_server_requests_in_flight",
    "nats_rpc_server_requests_total",
    "nats_rpc_server_stream_messages_total",
  ]);
});

test("a given registry and prefix are used", async () => {
  const registry = new Registry();
  const metrics = createRpcMetrics({ registry, prefix: "app_rpc_" });
  expect(metrics.registry).toBe(registry);
  expect(registry.getSingleMetric("app_rpc_server_requests_total")).toBeDefined();
  expect(registry.getSingleMetric("nats_rpc_server_requests_total")).toBeUndefined();
});

test("process metrics come only when asked for, without gauges named like counters", async () => {
  expect(createRpcMetrics().registry.getSingleMetric("process_cpu_seconds_total")).toBeUndefined();
  const { registry } = createRpcMetrics({ processMetrics: true });
  expect(registry.getSingleMetric("process_cpu_seconds_total")).toBeDefined();
  expect(registry.getSingleMetric("nodejs_active_handles")).toBeDefined();
  expect(registry.getSingleMetric("nodejs_active_handles_total")).toBeUndefined();
});
