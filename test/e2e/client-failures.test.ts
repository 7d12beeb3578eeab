// Failures the client sees without any error reply: nobody listens, nobody answers in time, the
// caller cancels. Each is an RpcError with its own code.
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { Code } from "nats-micro-runtime";
import { CalcClient } from "../../example/src/gen/calc/v1/calc_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

let server: NatsServer;
let nc: NatsConnection;
let calc: CalcClient;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  calc = new CalcClient(nc);
});

afterAll(async () => {
  await nc.close();
  await server.stop();
});

/**
 * Listens on Average and never answers: a host that has hung. `received` resolves with the first
 * request that arrives; `count` says how many have.
 */
async function silentListener(): Promise<{ received: Promise<Msg>; count: () => number; subscription: Subscription }> {
  let onRequest: (msg: Msg) => void = () => {};
  let count = 0;
  const received = new Promise<Msg>((resolve) => (onRequest = resolve));
  const subscription = nc.subscribe("calc.v1.Calc.Average", {
    callback: (error, msg) => {
      if (error === null) {
        count += 1;
        onRequest(msg);
      }
    },
  });
  await nc.flush();
  return { received, count: () => count, subscription };
}

test("calling a service nobody serves fails with unavailable at once, not at the timeout", async () => {
  const startedAt = performance.now();
  const error = await rpcRejection(calc.average({ values: [1] }, { timeoutMs: 5_000 }));
  const elapsedMs = performance.now() - startedAt;
  expect(error.code).toBe(Code.Unavailable);
  expect(error.rawMessage).toMatch(/no service instance is listening on calc\.v1\.Calc\.Average/);
  expect(elapsedMs).toBeLessThan(1_000);
});

test("no reply within the timeout fails with deadline_exceeded, after the timeout and not much later", async () => {
  const { received, subscription } = await silentListener();
  try {
    const startedAt = performance.now();
    const error = await rpcRejection(calc.average({ values: [1] }, { timeoutMs: 300 }));
    const elapsedMs = performance.now() - startedAt;
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(error.rawMessage).toMatch(/no reply from calc\.v1\.Calc\.Average within 300 ms/);
    expect(elapsedMs).toBeGreaterThanOrEqual(290);
    expect(elapsedMs).toBeLessThan(2_000);
    // The host was told how long the caller would wait.
    expect((await received).headers?.get("Nats-Rpc-Timeout-Ms")).toBe("300");
  } finally {
    subscription.unsubscribe();
  }
});

test("the client's default timeout applies when a call sets none", async () => {
  const { received, subscription } = await silentListener();
  try {
    const error = await rpcRejection(new CalcClient(nc, { timeoutMs: 200 }).average({ values: [1] }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect((await received).headers?.get("Nats-Rpc-Timeout-Ms")).toBe("200");
  } finally {
    subscription.unsubscribe();
  }
});

test("aborting the signal while the call waits fails it with canceled at once", async () => {
  const { received, subscription } = await silentListener();
  try {
    const controller = new AbortController();
    const startedAt = performance.now();
    const call = rpcRejection(calc.average({ values: [1] }, { timeoutMs: 10_000, signal: controller.signal }));
    // Abort once the request is surely on its way: the listener has it.
    await received;
    controller.abort(new Error("user pressed stop"));
    const error = await call;
    expect(error.code).toBe(Code.Canceled);
    expect(error.cause).toEqual(new Error("user pressed stop"));
    expect(performance.now() - startedAt).toBeLessThan(5_000);
  } finally {
    subscription.unsubscribe();
  }
});

test("aborting the signal while the call waits fails it with canceled at once through a client's interceptors too", async () => {
  const { received, subscription } = await silentListener();
  try {
    const intercepted = new CalcClient(nc, { interceptors: [(next) => (request) => next(request)] });
    const controller = new AbortController();
    const call = rpcRejection(intercepted.average({ values: [1] }, { timeoutMs: 10_000, signal: controller.signal }));
    await received;
    controller.abort(new Error("user pressed stop"));
    const error = await call;
    expect(error.code).toBe(Code.Canceled);
    expect(error.cause).toEqual(new Error("user pressed stop"));
  } finally {
    subscription.unsubscribe();
  }
});

test("a signal aborted before the call fails it with canceled, and nothing is sent", async () => {
  const { count, subscription } = await silentListener();
  try {
    const error = await rpcRejection(calc.average({ values: [1] }, { signal: AbortSignal.abort() }));
    expect(error.code).toBe(Code.Canceled);
    // A round trip after the call: a request it had sent would have been delivered before the PONG.
    await nc.flush();
    expect(count()).toBe(0);
  } finally {
    subscription.unsubscribe();
  }
});

test.each([1.5, Number.NaN, 2 ** 31])("a timeout of %s ms is refused with invalid_argument before anything is sent", async (timeoutMs) => {
  const error = await rpcRejection(calc.average({ values: [1] }, { timeoutMs }));
  expect(error.code).toBe(Code.InvalidArgument);
  expect(error.rawMessage).toMatch(/timeout must be a whole number of milliseconds/);
});

test.each([0, -1])("a timeout of %s ms (no time left) fails with deadline_exceeded, and nothing is sent", async (timeoutMs) => {
  const { count, subscription } = await silentListener();
  try {
    const error = await rpcRejection(calc.average({ values: [1] }, { timeoutMs }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(error.rawMessage).toMatch(/deadline already passed/);
    await nc.flush();
    expect(count()).toBe(0);
  } finally {
    subscription.unsubscribe();
  }
});

test("a call waiting when its connection closes fails with unavailable at once, not at its timeout", async () => {
  const closing = await connect({ servers: server.url });
  const { received, subscription } = await silentListener();
  try {
    const startedAt = performance.now();
    const call = rpcRejection(new CalcClient(closing).average({ values: [1] }, { timeoutMs: 10_000 }));
    await received;
    await closing.close();
    const error = await call;
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/connection closed while waiting for the reply from calc\.v1\.Calc\.Average/);
    expect(performance.now() - startedAt).toBeLessThan(5_000);
  } finally {
    subscription.unsubscribe();
  }
});
