import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, type ServiceHost } from "nats-micro-runtime";
import { createRpcMetrics, serveMetrics, type MetricsEndpoint, type RpcMetrics } from "nats-micro-runtime/metrics";
import { calcHandlers } from "../../example/src/calc-handlers.js";
import { CalcClient, serveCalc } from "../../example/src/gen/calc/v1/calc_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { promtoolCheck } from "../helpers/promtool.js";

let server: NatsServer;
let nc: NatsConnection;
let metrics: RpcMetrics;
let host: ServiceHost;
let endpoint: MetricsEndpoint;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  metrics = createRpcMetrics({ processMetrics: true });
  host = await serveCalc(nc, calcHandlers, { metrics });
  endpoint = await serveMetrics(metrics.registry, { port: 0 });
});

afterAll(async () => {
  await endpoint.close();
  await host.stop();
  await nc.close();
  await server.stop();
});

/** One sample of the text exposition format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the samples of the text exposition format (label values here hold no escapes). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) {
      continue;
    }
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) {
      labels[key!] = value!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and (at least) these labels; undefined if none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0]?.value;
}


test("host and client metrics count calls by method and code, and pass promtool's checks", async () => {
  const calc = new CalcClient(nc, { metrics });
  await calc.average({ values: [1, 2, 3] });
  await calc.average({ values: [4] });
  await calc.sum({ values: [1, 2] });
  const error = await calc.average({ values: [] }).catch((reason: unknown) => reason);
  expect(error).toMatchObject({ code: Code.InvalidArgument });

  expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const response = await fetch(endpoint.url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const samples = parseSamples(text);

  const service = host.definition.name;
  const server = (method: string, code: string) => valueOf(samples, "nats_rpc_server_requests_total", { service, method, code });
  expect(server("Average", "ok")).toBe(2);
  expect(server("Average", "invalid_argument")).toBe(1);
  expect(server("Sum", "ok")).toBe(1);
  expect(server("Sum", "invalid_argument")).toBeUndefined();
  expect(valueOf(samples, "nats_rpc_server_request_duration_seconds_count", { service, method: "Average" })).toBe(3);
  expect(valueOf(samples, "nats_rpc_server_request_duration_seconds_count", { service, method: "Sum" })).toBe(1);
  expect(valueOf(samples, "nats_rpc_server_request_duration_seconds_bucket", { service, method: "Average", le: "+Inf" })).toBe(3);
  expect(valueOf(samples, "nats_rpc_server_requests_in_flight", { service, method: "Average" })).toBe(0);
  expect(valueOf(samples, "nats_rpc_server_requests_in_flight", { service, method: "Sum" })).toBe(0);

  const client = (method: string, code: string) => valueOf(samples, "nats_rpc_client_requests_total", { service, method, code });
  expect(client("Average", "ok")).toBe(2);
  expect(client("Average", "invalid_argument")).toBe(1);
  expect(client("Sum", "ok")).toBe(1);
  expect(valueOf(samples, "nats_rpc_client_request_duration_seconds_count", { service, method: "Average" })).toBe(3);

  // Process metrics are in the same registry, and so in the same check.
  expect(samples.some((sample) => sample.name === "process_cpu_user_seconds_total")).toBe(true);
  const check = await promtoolCheck(text);
  expect(check).toEqual({ code: 0, output: "" });
});

test("a request in progress shows as in flight until it is answered", async () => {
  const slowMetrics = createRpcMetrics();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrived!: () => void;
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  const slowHost = await serveCalc(
    nc,
    {
      ...calcHandlers,
      async sum(request) {
        arrived();
        await released;
        return { operation: "sum", result: request.values.reduce((a, b) => a + b, 0) };
      },
    },
    { metrics: slowMetrics, name: "SlowCalc", queueGroup: "slow" },
  );
  try {
    const call = new CalcClient(nc).sum({ values: [1] }, { timeoutMs: 5_000 });
    await arrival;
    const inFlight = () => slowMetrics.server.inFlight.get().then((metric) => metric.values.find((value) => value.labels["method"] === "Sum")?.value);
    expect(await inFlight()).toBe(1);
    release();
    await call;
    // The main host answers this subject too (another queue group), maybe first: stopping waits
    // for this host's own reply.
    await slowHost.stop();
    expect(await inFlight()).toBe(0);
  } finally {
    release();
    await slowHost.stop();
  }
});

test("serveMetrics listens on 127.0.0.1 by default, answers 404 elsewhere, and a chosen address", async () => {
  const registry = createRpcMetrics().registry;
  const local = await serveMetrics(registry, { port: 0 });
  try {
    expect(new URL(local.url).hostname).toBe("127.0.0.1");
    expect((await fetch(local.url.replace("/metrics", "/other"))).status).toBe(404);
    expect((await fetch(local.url, { method: "POST" })).status).toBe(405);
    const text = await (await fetch(local.url)).text();
    expect(text).toContain("# TYPE nats_rpc_server_requests_total counter");
  } finally {
    await local.close();
  }
  const chosen = await serveMetrics(registry, { port: 0, host: "127.0.0.2" });
  try {
    expect(new URL(chosen.url).hostname).toBe("127.0.0.2");
  } finally {
    await chosen.close();
  }
});
