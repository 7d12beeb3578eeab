// Calls around a lost connection (transport/nats/reply-multiplexer.ts): those made while the
// client reconnects go out on the new connection rather than into nats.js's buffer, which each
// reconnect attempt empties; those sent on the lost connection fail at once as unavailable rather
// than wait for their deadline.
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, RpcError, type ServiceHost } from "nats-micro-runtime";
import { calcHandlers } from "../../example/src/calc-handlers.js";
import { CalcClient, serveCalc } from "../../example/src/gen/calc/v1/calc_nats.js";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";

const reconnect = { reconnectTimeWait: 100, reconnectJitter: 0, maxReconnectAttempts: 100 } as const;
let server: NatsProcess;
const connections: NatsConnection[] = [];
let host: ServiceHost | undefined;

beforeAll(async () => {
  server = await startNatsProcess({ name: "restarting" });
});
afterAll(async () => {
  await host?.stop();
  await Promise.all(connections.map((connection) => connection.close()));
  await server.stop();
});

async function connectToServer(url = server.url): Promise<NatsConnection> {
  const connection = await connect({ servers: url, ...reconnect });
  connections.push(connection);
  return connection;
}

async function nextStatus(connection: NatsConnection, type: "disconnect" | "reconnect"): Promise<void> {
  for await (const status of connection.status()) {
    if (status.type === type) {
      return;
    }
  }
}

test.each([false, true])("calls made while the server is down are answered once it is back (batchWrites %s)", async (batchWrites) => {
  const hostConnection = await connectToServer();
  host = await serveCalc(hostConnection, calcHandlers);
  // The client reaches the server through a link the test holds cut until the host is back, so that
  // the calls cannot arrive before the host has subscribed again (they would get "no responders").
  const link = await startTcpProxy(Number(new URL(server.url).port));
  const clientConnection = await connectToServer(`nats://127.0.0.1:${link.port}`);
  const calc = new CalcClient(clientConnection, { timeoutMs: 5_000, batchWrites });
  expect((await calc.sum({ values: [1, 2] })).result).toBe(3);

  const lost = nextStatus(clientConnection, "disconnect");
  const hostBack = nextStatus(hostConnection, "reconnect");
  link.cut();
  await server.kill();
  await lost;
  // Made while the client has no server: nats.js would drop them at its next attempt.
  const calls = Array.from({ length: 5 }, (_, index) => calc.sum({ values: [index, 10] }));
  await new Promise((resolve) => setTimeout(resolve, 300));
  await server.start();
  await hostBack;
  await hostConnection.flush();
  link.restore();
  const replies = await Promise.all(calls);
  expect(replies.map((reply) => reply.result)).toEqual([10, 11, 12, 13, 14]);
  await host.stop();
  host = undefined;
  await link.close();
}, 20_000);

test("a call whose request went out on the lost connection fails at once as unavailable", async () => {
  // A host that never answers, so that the call is still waiting when the server goes.
  host = await serveCalc(await connectToServer(), { ...calcHandlers, sum: () => new Promise(() => {}) });
  const clientConnection = await connectToServer();
  const calc = new CalcClient(clientConnection, { timeoutMs: 10_000 });
  await waitUntil("the host to serve", () => calc.average({ values: [1] }).then(() => true), 5_000);
  const call = calc.sum({ values: [1] }).catch((reason: unknown) => reason);
  // Sent: give it time to reach the host, then take the server away.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  await server.kill();
  const failure = await call;
  expect(failure).toBeInstanceOf(RpcError);
  expect((failure as RpcError).code).toBe(Code.Unavailable);
  // Not its 10 s deadline.
  expect(performance.now() - started).toBeLessThan(5_000);
  await server.start();
}, 20_000);
