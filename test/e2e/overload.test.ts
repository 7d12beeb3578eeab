// Overload: a host holds to its concurrency limits, answering requests over them at once with
// resource_exhausted (429) rather than queueing them, and a handler that never finishes is cut off
// at its deadline without leaking its place, its timer or its in-flight count.
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, type HostOptions, type ServiceHost, type StatsResponse } from "nats-micro-runtime";
import { createRpcMetrics, type RpcMetrics } from "nats-micro-runtime/metrics";
import type { ProbeHandlers } from "../gen/testing/v1/probe_nats.js";
import { ProbeClient, serveProbe } from "../gen/testing/v1/probe_nats.js";
import { waitUntil } from "../helpers/nats-cluster.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { createProbeHandlers, type ProbeRecorder } from "../helpers/probe-handlers.js";
import { headerRecord, rawRequest } from "../helpers/raw-nats.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

let server: NatsServer;
let hostConnection: NatsConnection;
let nc: NatsConnection;
let probe: ProbeClient;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  hostConnection = await connect({ servers: server.url });
  nc = await connect({ servers: server.url });
  probe = new ProbeClient(nc, { timeoutMs: 5_000 });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

afterAll(async () => {
  await Promise.all([nc.close(), hostConnection.close()]);
  await server.stop();
});

async function startProbe(options: HostOptions, handlers?: ProbeHandlers): Promise<{ host: ServiceHost; recorder: ProbeRecorder }> {
  const probeHandlers = createProbeHandlers();
  const host = await serveProbe(hostConnection, handlers ?? probeHandlers.handlers, options);
  cleanups.push(
    () => host.stop(),
    () => probeHandlers.recorder.releaseAll(),
  );
  return { host, recorder: probeHandlers.recorder };
}

function endpointStats(host: ServiceHost, name: string): StatsResponse["endpoints"][number] {
  const stats = host.stats().endpoints.find((endpoint) => endpoint.name === name);
  if (stats === undefined) {
    throw new Error(`no endpoint ${name} in the stats`);
  }
  return stats;
}

async function inFlight(metrics: RpcMetrics, method: string): Promise<number | undefined> {
  const metric = await metrics.server.inFlight.get();
  return metric.values.find((value) => value.labels["method"] === method)?.value;
}

test("over maxConcurrentRequests a request is answered at once with resource_exhausted (429), counted, and capacity comes back", async () => {
  const { host, recorder } = await startProbe({ maxConcurrentRequests: 5 });
  const holding = Array.from({ length: 5 }, () => probe.sleep({ millis: 10_000 }));
  await recorder.waitFor("five Sleep calls to be in progress", () => recorder.sleeps.length === 5);

  const startedAt = performance.now();
  const refused = await Promise.all(Array.from({ length: 20 }, (_, index) => rpcRejection(probe.echo({ text: `over ${index}` }))));
  expect(performance.now() - startedAt).toBeLessThan(1_000);
  for (const error of refused) {
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe("Probe is serving its limit of 5 concurrent requests; retry later");
  }
  // On the wire: the ADR-32 status 429 and the exact code.
  const reply = await rawRequest(nc, "testing.v1.Probe.Echo", new Uint8Array(0), { "Content-Type": "application/json" });
  expect(headerRecord(reply)).toMatchObject({ "Nats-Service-Error-Code": "429", "Nats-Rpc-Code": "resource_exhausted", "Content-Type": "application/json" });
  expect(endpointStats(host, "Echo")).toMatchObject({
    num_requests: 21,
    num_errors: 21,
    last_error: "resource_exhausted: Probe is serving its limit of 5 concurrent requests; retry later",
  });
  // The handlers held never saw the refused requests.
  expect(recorder.sleeps).toHaveLength(5);

  recorder.releaseAll();
  expect(await Promise.all(holding)).toHaveLength(5);
  await expect(probe.echo({ text: "room again" })).resolves.toMatchObject({ text: "room again" });
});

test("a method's own limit refuses its requests while other methods are served", async () => {
  const { host, recorder } = await startProbe({ maxConcurrentRequests: 100, maxConcurrentRequestsByMethod: { Sleep: 2 } });
  const holding = [probe.sleep({ millis: 10_000 }), probe.sleep({ millis: 10_000 })];
  await recorder.waitFor("two Sleep calls to be in progress", () => recorder.sleeps.length === 2);
  const error = await rpcRejection(probe.sleep({ millis: 1 }));
  expect(error.code).toBe(Code.ResourceExhausted);
  expect(error.rawMessage).toBe("Probe.Sleep is serving its limit of 2 concurrent requests; retry later");
  await expect(probe.echo({ text: "other method" })).resolves.toMatchObject({ text: "other method" });
  expect(endpointStats(host, "Sleep")).toMatchObject({ num_errors: 1 });
  recorder.releaseAll();
  await Promise.all(holding);
});

test("limits that are not whole numbers of at least 1, or name no method, fail the host's start in one message", async () => {
  const { handlers } = createProbeHandlers();
  await expect(serveProbe(hostConnection, handlers, { maxConcurrentRequests: 0, maxConcurrentRequestsByMethod: { sleep: 2, Echo: 1.5 } })).rejects.toThrow(
    'service testing.v1.Probe: maxConcurrentRequests must be a whole number of at least 1, got 0; maxConcurrentRequestsByMethod: service testing.v1.Probe has no method "sleep" (its methods: Echo, Fail, Sleep, Now, Nest); maxConcurrentRequestsByMethod.Echo must be a whole number of at least 1, got 1.5',
  );
});

test("a handler that never finishes: the deadline answers for it, stats count it, and its place and in-flight count are given back", async () => {
  const metrics = createRpcMetrics();
  let started = 0;
  const { handlers } = createProbeHandlers();
  const { host } = await startProbe(
    { maxConcurrentRequests: 3, metrics },
    {
      ...handlers,
      // Ignores its signal and never settles.
      sleep: () => {
        started += 1;
        return new Promise<never>(() => {});
      },
    },
  );
  await probe.echo({ text: "warm up" });

  for (let round = 1; round <= 3; round += 1) {
    const startedAt = performance.now();
    const errors = await Promise.all(Array.from({ length: 3 }, () => rpcRejection(probe.sleep({ millis: 1 }, { timeoutMs: 200 }))));
    expect(errors.map((error) => error.code)).toEqual([Code.DeadlineExceeded, Code.DeadlineExceeded, Code.DeadlineExceeded]);
    expect(performance.now() - startedAt).toBeLessThan(1_500);
    // Each round fits under the limit of 3 only if the round before gave its places back.
    expect(started).toBe(3 * round);
    // The host's deadline runs from each request's arrival, a hair after the caller's.
    await waitUntil(`the host to finish round ${round}`, () => endpointStats(host, "Sleep").num_requests === 3 * round, 2_000);
  }
  // A round trip through the host, so that its bookkeeping for the last round is done.
  await probe.echo({ text: "barrier" });
  expect(endpointStats(host, "Sleep")).toMatchObject({ num_requests: 9, num_errors: 9, last_error: "deadline_exceeded: deadline of 200 ms exceeded" });
  expect(await inFlight(metrics, "Sleep")).toBe(0);

  const stoppingAt = performance.now();
  await host.stop();
  expect(performance.now() - stoppingAt).toBeLessThan(2_000);
});

test("a flood of 5,000 concurrent calls at a host limited to 50: every one is answered at once or served, none times out", async () => {
  const metrics = createRpcMetrics();
  const { host } = await startProbe({ maxConcurrentRequests: 50, metrics });
  const count = 5_000;
  const outcomes = await Promise.all(
    Array.from({ length: count }, () =>
      probe.sleep({ millis: 20 }, { timeoutMs: 10_000 }).then(
        () => "ok",
        (error: unknown) => (error as { code?: string }).code ?? "not an RpcError",
      ),
    ),
  );
  const byOutcome = new Map<string, number>();
  for (const outcome of outcomes) {
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
  }
  expect([...byOutcome.keys()].sort()).toEqual(["ok", "resource_exhausted"]);
  expect(byOutcome.get("ok")).toBeGreaterThanOrEqual(50);
  await probe.echo({ text: "barrier" });
  expect(endpointStats(host, "Sleep")).toMatchObject({ num_requests: count, num_errors: byOutcome.get("resource_exhausted") });
  expect(await inFlight(metrics, "Sleep")).toBe(0);
});
