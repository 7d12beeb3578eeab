// Client retries: with a retry policy, a call that fails with a retryable code is made again,
// but only for methods whose proto declares them safe to repeat (idempotency_level), and never
// past the caller's deadline.
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, type RetryPolicy, type ServiceHost } from "nats-micro-runtime";
import { createRpcMetrics, type RpcMetrics } from "nats-micro-runtime/metrics";
import { serveTally, TallyClient } from "../gen/testing/reliability/v1/tally_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";
import { createTallyHandlers, type TallyHandlersOptions, type TallyState } from "../helpers/tally-handlers.js";

let server: NatsServer;
let hostConnection: NatsConnection;
let nc: NatsConnection;
const hosts: ServiceHost[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  hostConnection = await connect({ servers: server.url });
  nc = await connect({ servers: server.url });
});

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
});

afterAll(async () => {
  await Promise.all([nc.close(), hostConnection.close()]);
  await server.stop();
});

async function startTally(options: TallyHandlersOptions = {}): Promise<TallyState> {
  const state = createTallyHandlers(options);
  hosts.push(await serveTally(hostConnection, state.handlers));
  return state;
}

// Short back-offs, so that the tests do not wait for them.
const quick: RetryPolicy = { maxAttempts: 3, initialBackoffMs: 5, maxBackoffMs: 20 };

async function retriesCounted(metrics: RpcMetrics, method: string): Promise<number> {
  const metric = await metrics.client.retries.get();
  return metric.values.find((value) => value.labels["method"] === method)?.value ?? 0;
}

test("a NO_SIDE_EFFECTS method failing with unavailable is retried until it succeeds, and the retries are counted", async () => {
  const tally = await startTally({ failFirst: 2 });
  const metrics = createRpcMetrics();
  const client = new TallyClient(nc, { retry: quick, metrics });
  await expect(client.get({ key: "a", callId: "get-1" })).resolves.toMatchObject({ key: "a", value: 0n });
  expect(tally.executions.get("get-1")).toBe(3);
  expect(await retriesCounted(metrics, "Get")).toBe(2);
  // The call is counted once, with its outcome.
  const requests = await metrics.client.requests.get();
  expect(requests.values.filter((value) => value.labels["method"] === "Get")).toEqual([expect.objectContaining({ value: 1, labels: expect.objectContaining({ code: "ok" }) })]);
});

test("IDEMPOTENT and NO_SIDE_EFFECTS methods are retried; a method that declares no idempotency_level is not", async () => {
  const tally = await startTally({ failFirst: 1 });
  const client = new TallyClient(nc, { retry: quick });
  await expect(client.get({ key: "k", callId: "get" })).resolves.toMatchObject({ key: "k" });
  await expect(client.set({ key: "k", value: 7n, callId: "set" })).resolves.toMatchObject({ value: 7n });
  const error = await rpcRejection(client.add({ key: "k", delta: 1n, callId: "add" }));
  expect(error.code).toBe(Code.Unavailable);
  expect(error.rawMessage).toBe("execution 1 of call add fails on purpose");
  expect(Object.fromEntries(tally.executions)).toEqual({ get: 2, set: 2, add: 1 });
  expect(tally.counts.get("k")).toBe(7n);
});

test("retryNonIdempotent opts methods without idempotency_level in", async () => {
  const tally = await startTally({ failFirst: 1 });
  const client = new TallyClient(nc, { retry: { ...quick, retryNonIdempotent: true } });
  await expect(client.add({ key: "k", delta: 5n, callId: "add" })).resolves.toMatchObject({ value: 5n });
  expect(tally.executions.get("add")).toBe(2);
});

test("without a retry policy, and with retry: false on a call, a call is made once", async () => {
  const tally = await startTally({ failFirst: 1 });
  const plain = new TallyClient(nc);
  expect((await rpcRejection(plain.get({ key: "k", callId: "plain" }))).code).toBe(Code.Unavailable);
  const retrying = new TallyClient(nc, { retry: quick });
  expect((await rpcRejection(retrying.get({ key: "k", callId: "once" }, { retry: false }))).code).toBe(Code.Unavailable);
  expect(Object.fromEntries(tally.executions)).toEqual({ plain: 1, once: 1 });
});

test("only the policy's retryable codes are retried", async () => {
  const tally = await startTally({ failFirst: 1, failCode: Code.ResourceExhausted });
  const unavailableOnly = new TallyClient(nc, { retry: quick });
  expect((await rpcRejection(unavailableOnly.get({ key: "k", callId: "default-codes" }))).code).toBe(Code.ResourceExhausted);
  const alsoExhausted = new TallyClient(nc, { retry: { ...quick, retryableCodes: [Code.Unavailable, Code.ResourceExhausted] } });
  await expect(alsoExhausted.get({ key: "k", callId: "more-codes" })).resolves.toMatchObject({ key: "k" });
  expect(Object.fromEntries(tally.executions)).toEqual({ "default-codes": 1, "more-codes": 2 });
});

test("the last attempt's error says how many attempts were made", async () => {
  const tally = await startTally({ failFirst: 10 });
  const client = new TallyClient(nc, { retry: quick });
  const error = await rpcRejection(client.get({ key: "k", callId: "always" }));
  expect(error.code).toBe(Code.Unavailable);
  expect(error.rawMessage).toBe("execution 3 of call always fails on purpose (after 3 attempts)");
  expect(tally.executions.get("always")).toBe(3);
});

test("retries never run past the caller's deadline: with nobody listening, the call fails with unavailable within its timeout", async () => {
  const metrics = createRpcMetrics();
  const client = new TallyClient(nc, { metrics, retry: { maxAttempts: 1_000, initialBackoffMs: 20, maxBackoffMs: 50 } });
  const startedAt = performance.now();
  const error = await rpcRejection(client.get({ key: "k" }, { timeoutMs: 400 }));
  const elapsedMs = performance.now() - startedAt;
  expect(error.code).toBe(Code.Unavailable);
  expect(error.rawMessage).toMatch(/^no service instance is listening on testing\.reliability\.v1\.Tally\.Get \(after \d+ attempts\)$/);
  // The last attempt gets only the time left; a little more for timers on a busy machine.
  expect(elapsedMs).toBeLessThan(400 + 250);
  // Back-offs of at most 50 ms: several attempts fit in 400 ms, far fewer than 1,000.
  const retries = await retriesCounted(metrics, "Get");
  expect(retries).toBeGreaterThanOrEqual(3);
  expect(retries).toBeLessThan(100);
});

test("an attempt that runs out of time is not retried: the call fails with deadline_exceeded at its timeout", async () => {
  const tally = await startTally({ delayMs: 2_000 });
  const client = new TallyClient(nc, { retry: { ...quick, retryableCodes: [Code.Unavailable, Code.DeadlineExceeded] } });
  const startedAt = performance.now();
  const error = await rpcRejection(client.get({ key: "k", callId: "slow" }, { timeoutMs: 300 }));
  expect(error.code).toBe(Code.DeadlineExceeded);
  expect(performance.now() - startedAt).toBeLessThan(1_000);
  expect(tally.executions.get("slow")).toBe(1);
});

test("an instance that starts while a call is retrying answers it", async () => {
  const client = new TallyClient(nc, { retry: { maxAttempts: 50, initialBackoffMs: 20, maxBackoffMs: 50 } });
  const call = client.get({ key: "late", callId: "late" }, { timeoutMs: 3_000 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const tally = await startTally();
  await expect(call).resolves.toMatchObject({ key: "late" });
  expect(tally.executions.get("late")).toBe(1);
});

test("aborting the signal during a back-off fails the call with canceled at once", async () => {
  const client = new TallyClient(nc, { retry: { maxAttempts: 5, initialBackoffMs: 2_000, maxBackoffMs: 2_000, jitter: 0 } });
  const controller = new AbortController();
  const call = rpcRejection(client.get({ key: "k" }, { timeoutMs: 10_000, signal: controller.signal }));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const abortedAt = performance.now();
  controller.abort();
  const error = await call;
  expect(error.code).toBe(Code.Canceled);
  expect(performance.now() - abortedAt).toBeLessThan(200);
});

test("a retry policy out of range fails when the client is created, naming each field", () => {
  expect(() => new TallyClient(nc, { retry: { maxAttempts: 0, jitter: 2, multiplier: 0.5, retryableCodes: ["nope" as Code] } })).toThrow(
    'invalid retry policy: maxAttempts must be a whole number of at least 1, got 0; multiplier must be a number of at least 1, got 0.5; jitter must be a number from 0 to 1, got 2; retryableCodes: "nope" is not a code',
  );
});
