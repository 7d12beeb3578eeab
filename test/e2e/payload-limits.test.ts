// The server's max_payload: a request or a reply too large for it is a resource_exhausted error
// the caller sees at once, never a reply that silently goes missing.
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, RpcError, type ServiceHost, type StatsResponse } from "nats-micro-runtime";
import { CalcClient, serveCalc } from "../../example/src/gen/calc/v1/calc_nats.js";
import { ProbeClient, serveProbe } from "../gen/testing/v1/probe_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { createProbeHandlers } from "../helpers/probe-handlers.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

// Small, so that tests reach it with little data. Payload and headers together count against it.
const maxPayload = 4_096;

let server: NatsServer;
let hostConnection: NatsConnection;
let nc: NatsConnection;
let host: ServiceHost;
let probe: ProbeClient;

beforeAll(async () => {
  server = await startNatsServer(`max_payload: ${maxPayload}`);
  hostConnection = await connect({ servers: server.url });
  nc = await connect({ servers: server.url });
  host = await serveProbe(hostConnection, createProbeHandlers().handlers);
  probe = new ProbeClient(nc, { timeoutMs: 5_000 });
});

afterAll(async () => {
  await host.stop();
  await Promise.all([nc.close(), hostConnection.close()]);
  await server.stop();
});

test("the server's limit is the one the tests were written for", () => {
  expect(nc.info?.max_payload).toBe(maxPayload);
});

test("a request larger than max_payload fails with resource_exhausted before it is sent", async () => {
  const error = await rpcRejection(probe.echo({ text: "x".repeat(maxPayload) }));
  expect(error.code).toBe(Code.ResourceExhausted);
  expect(error.rawMessage).toMatch(/exceeds the server's max_payload of 4096 bytes/);
});

test("a request whose headers take it over max_payload fails with resource_exhausted", async () => {
  const error = await rpcRejection(probe.echo({ text: "x".repeat(2_000) }, { headers: { "x-padding": "p".repeat(2_500) } }));
  expect(error.code).toBe(Code.ResourceExhausted);
});

// A header value of double quotes doubles in size in a JSON reply that repeats it (each one is
// escaped), so a request that fits can ask for a reply that does not.
const quotes = (count: number) => '"'.repeat(count);

test("a reply larger than max_payload becomes a resource_exhausted error reply, at once", async () => {
  const json = new ProbeClient(nc, { encoding: "json", timeoutMs: 5_000 });
  const startedAt = performance.now();
  // About 2,600 bytes of request, 5,100 of reply payload.
  const error = await rpcRejection(json.echo({ text: "big" }, { headers: { "x-quotes": quotes(2_500) } }));
  expect(error.code).toBe(Code.ResourceExhausted);
  expect(error.rawMessage).toMatch(/exceeds the server's max_payload of 4096 bytes/);
  expect(performance.now() - startedAt).toBeLessThan(2_000);
  await expect(json.echo({ text: "small" })).resolves.toMatchObject({ text: "small" });
});

test("a reply whose handler-set headers take it over max_payload becomes a resource_exhausted error reply, at once", async () => {
  const json = new ProbeClient(nc, { encoding: "json", timeoutMs: 5_000 });
  const startedAt = performance.now();
  // About 3,100 bytes of request; the reply's payload (about 3,100 bytes) fits, but not with the
  // 1,500 bytes of headers the handler sets.
  const error = await rpcRejection(json.echo({ text: "big", replyHeaders: { "x-large": "l".repeat(1_500) } }, { headers: { "x-quotes": quotes(1_500) } }));
  expect(error.code).toBe(Code.ResourceExhausted);
  expect(error.rawMessage).toMatch(/exceeds the server's max_payload of 4096 bytes/);
  expect(performance.now() - startedAt).toBeLessThan(2_000);
  await expect(json.echo({ text: "small" })).resolves.toMatchObject({ text: "small" });
});

test("an error too large for max_payload still reaches the caller, cut to fit, at once", async () => {
  // Handlers written for the case: an error message, and error-reply headers, beyond the limit.
  const calcHost = await serveCalc(hostConnection, {
    average() {
      throw new RpcError(`too many values: ${"v".repeat(2 * maxPayload)}`, Code.OutOfRange);
    },
    sum(_request, context) {
      context.responseHeader.set("x-debug", "d".repeat(2 * maxPayload));
      throw new RpcError("cannot add these up", Code.FailedPrecondition);
    },
  });
  try {
    const calc = new CalcClient(nc, { timeoutMs: 5_000 });
    const startedAt = performance.now();
    const long = await rpcRejection(calc.average({ values: [1] }));
    expect(long.code).toBe(Code.OutOfRange);
    expect(long.rawMessage).toMatch(/^too many values: v+\.\.\.$/);
    expect(Buffer.byteLength(long.rawMessage)).toBeLessThan(maxPayload);

    let replyHeaders: Headers | undefined;
    const withHeaders = await rpcRejection(calc.sum({ values: [1] }, { onHeader: (headers) => (replyHeaders = headers) }));
    expect(withHeaders.code).toBe(Code.FailedPrecondition);
    expect(withHeaders.rawMessage).toBe("cannot add these up");
    // The handler's header is what did not fit: it is left out.
    expect(replyHeaders?.has("x-debug")).toBe(false);
    expect(performance.now() - startedAt).toBeLessThan(2_000);

    // Discovery still answers: the long message is cut in last_error too.
    await rpcRejection(calc.average({ values: [1] }));
    const stats = (await nc.request(`$SRV.STATS.Calc.${calcHost.id}`, undefined, { timeout: 2_000 })).json<StatsResponse>();
    const average = stats.endpoints.find((endpoint) => endpoint.name === "Average");
    expect(average?.num_errors).toBe(2);
    expect(average?.last_error).toMatch(/^out_of_range: too many values: v+\.\.\.$/);
  } finally {
    await calcHost.stop();
  }
});

test("an error whose details do not fit goes without them, its message and code whole", async () => {
  const calcHost = await serveCalc(hostConnection, {
    average() {
      throw new RpcError("values out of range", Code.OutOfRange, { details: [{ type: "testing.Big", value: new Uint8Array(2 * maxPayload) }] });
    },
    sum() {
      throw new RpcError("small details", Code.OutOfRange, { details: [{ type: "testing.Small", value: new Uint8Array([1, 2, 3]) }] });
    },
  });
  try {
    const calc = new CalcClient(nc, { timeoutMs: 5_000 });
    const startedAt = performance.now();
    const big = await rpcRejection(calc.average({ values: [1] }));
    expect(big.code).toBe(Code.OutOfRange);
    expect(big.rawMessage).toBe("values out of range");
    expect(big.details).toEqual([]);
    expect(performance.now() - startedAt).toBeLessThan(2_000);
    const small = await rpcRejection(calc.sum({ values: [1] }));
    expect(small.details).toEqual([{ type: "testing.Small", value: new Uint8Array([1, 2, 3]) }]);
  } finally {
    await calcHost.stop();
  }
});
