// Graceful stop: host.stop() leaves the queue group, answers every request it had already
// received, and only then resolves; new requests go to the other instances, or find none.
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, type ServiceHost } from "nats-micro-runtime";
import { ProbeClient, serveProbe } from "../gen/testing/v1/probe_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { createProbeHandlers, type ProbeRecorder } from "../helpers/probe-handlers.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

let server: NatsServer;
// Each instance has a connection of its own, as separate processes would.
let hostConnections: [NatsConnection, NatsConnection];
let nc: NatsConnection;
let probe: ProbeClient;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  hostConnections = [await connect({ servers: server.url }), await connect({ servers: server.url })];
  nc = await connect({ servers: server.url });
  probe = new ProbeClient(nc, { timeoutMs: 5_000 });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

afterAll(async () => {
  await Promise.all([nc, ...hostConnections].map((connection) => connection.close()));
  await server.stop();
});

async function startInstance(connection: NatsConnection): Promise<{ host: ServiceHost; recorder: ProbeRecorder }> {
  const { handlers, recorder } = createProbeHandlers();
  const host = await serveProbe(connection, handlers);
  cleanups.push(
    () => host.stop(),
    () => recorder.releaseAll(),
  );
  return { host, recorder };
}

function sleepRequests(host: ServiceHost): number {
  return host.stats().endpoints.find((endpoint) => endpoint.name === "Sleep")?.num_requests ?? Number.NaN;
}

test("stop() answers all 50 requests in flight, then the other instance takes every new request", async () => {
  const first = await startInstance(hostConnections[0]);
  const inFlight = Array.from({ length: 50 }, () => probe.sleep({ millis: 200 }));
  await first.recorder.waitFor("all 50 Sleep calls to reach the first instance", () => first.recorder.sleeps.length === 50);
  const second = await startInstance(hostConnections[1]);

  const stopping = first.host.stop();
  // Requests sent while the first instance leaves: whoever receives them answers them.
  const duringStop = Array.from({ length: 20 }, () => probe.sleep({ millis: 1 }));
  await stopping;
  // stop() resolved only once every handler had returned.
  expect(first.recorder.sleeps.filter((sleep) => sleep.endedAt === undefined)).toHaveLength(0);

  const replies = await Promise.all(inFlight);
  expect(replies).toHaveLength(50);
  expect(replies.every((reply) => reply.aborted === false)).toBe(true);
  expect((await Promise.all(duringStop)).every((reply) => reply.aborted === false)).toBe(true);
  const firstCount = sleepRequests(first.host);
  expect(firstCount).toBeGreaterThanOrEqual(50);
  expect(firstCount + sleepRequests(second.host)).toBe(70);

  // Gone from the queue group: every new request goes to the second instance.
  const after = await Promise.all(Array.from({ length: 30 }, () => probe.sleep({ millis: 1 })));
  expect(after).toHaveLength(30);
  expect(sleepRequests(first.host)).toBe(firstCount);
  expect(sleepRequests(second.host)).toBe(70 - firstCount + 30);
  // The connection is the caller's: stop() leaves it open.
  expect(hostConnections[0].isClosed()).toBe(false);
});

test("once the only instance has stopped, calls fail with unavailable at once", async () => {
  const only = await startInstance(hostConnections[0]);
  const inFlight = Array.from({ length: 5 }, () => probe.sleep({ millis: 100 }));
  await only.recorder.waitFor("all 5 Sleep calls to arrive", () => only.recorder.sleeps.length === 5);
  await only.host.stop();
  expect(await Promise.all(inFlight)).toHaveLength(5);

  const startedAt = performance.now();
  const error = await rpcRejection(probe.sleep({ millis: 1 }));
  expect(error.code).toBe(Code.Unavailable);
  expect(performance.now() - startedAt).toBeLessThan(1_000);
});

test("stop() takes as long as the slowest request in flight, and calling it again waits for the same stop", async () => {
  const only = await startInstance(hostConnections[0]);
  const slow = probe.sleep({ millis: 300 });
  await only.recorder.waitFor("the Sleep call to arrive", () => only.recorder.sleeps.length === 1);
  const stopping = only.host.stop().then(() => performance.now());
  const [stoppedAt] = await Promise.all([stopping, only.host.stop()]);
  // stop() resolved after the handler had returned, not before.
  const { endedAt } = only.recorder.sleeps[0]!;
  expect(endedAt).toBeDefined();
  expect(stoppedAt).toBeGreaterThanOrEqual(endedAt!);
  expect((await slow).aborted).toBe(false);
});

test("stopping an idle instance resolves at once", async () => {
  const only = await startInstance(hostConnections[0]);
  await probe.echo({ text: "hello" });
  const startedAt = performance.now();
  await only.host.stop();
  expect(performance.now() - startedAt).toBeLessThan(1_000);
});
