// A server restart without a cluster: the only nats-server goes away and comes back on the same
// port. Host and client reconnect (with bounded reconnect settings) and work again, and no call
// made meanwhile hangs past its deadline.
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, type ServiceHost } from "nats-micro-runtime";
import { serveTally, TallyClient } from "../gen/testing/reliability/v1/tally_nats.js";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";
import { countOutcomes, startSteadyLoad } from "../helpers/steady-load.js";
import { createTallyHandlers } from "../helpers/tally-handlers.js";

// Bounded: a lost server is retried every 100 ms, at most 100 times (about ten seconds).
const reconnect = { reconnectTimeWait: 100, reconnectJitter: 20, maxReconnectAttempts: 100 } as const;
const callTimeoutMs = 1_000;

let server: NatsProcess;
let hostConnection: NatsConnection;
let clientConnection: NatsConnection;
let host: ServiceHost;

beforeAll(async () => {
  server = await startNatsProcess({ name: "solo" });
  hostConnection = await connect({ servers: server.url, ...reconnect });
  clientConnection = await connect({ servers: server.url, ...reconnect });
  host = await serveTally(hostConnection, createTallyHandlers({ instance: "solo" }).handlers);
});

afterAll(async () => {
  await host?.stop();
  await Promise.all([hostConnection, clientConnection].map((connection) => connection?.close()));
  await server?.stop();
});

/** Resolves with the time of the connection's next reconnect. */
async function nextReconnect(connection: NatsConnection): Promise<number> {
  for await (const status of connection.status()) {
    if (status.type === "reconnect") {
      return performance.now();
    }
  }
  throw new Error("the connection closed without reconnecting");
}

test.each([
  ["killed (a crash)", (process: NatsProcess) => process.kill()],
  ["shut down gracefully", (process: NatsProcess) => process.shutdown()],
])("the server %s and started again: host and client reconnect and calls succeed again", async (how, takeDown) => {
  const client = new TallyClient(clientConnection, { timeoutMs: callTimeoutMs });
  await expect(client.get({ key: "before" })).resolves.toMatchObject({ instance: "solo" });
  const reconnects = Promise.all([nextReconnect(hostConnection), nextReconnect(clientConnection)]);

  const load = startSteadyLoad(() => client.get({ key: "load" }).then((reply) => reply.instance), { intervalMs: 20, maxCalls: 500 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const downAt = performance.now();
  await takeDown(server);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await server.start();
  const upAt = performance.now();
  const [hostReconnectedAt, clientReconnectedAt] = await reconnects;
  await waitUntil("calls sent after the restart to succeed", () => load.settled.some((call) => call.outcome === "ok" && call.sentAt > upAt), 10_000);
  const outcomes = await load.stop();

  const counts = countOutcomes(outcomes);
  expect(Object.keys(counts).filter((outcome) => !["ok", Code.Unavailable, Code.DeadlineExceeded].includes(outcome))).toEqual([]);
  const longest = Math.max(...outcomes.map((call) => call.settledAt - call.sentAt));
  expect(longest).toBeLessThan(callTimeoutMs + 500);
  await expect(client.get({ key: "after" })).resolves.toMatchObject({ instance: "solo" });
  expect(hostConnection.isClosed() || clientConnection.isClosed()).toBe(false);
  const firstSuccess = Math.min(...outcomes.filter((call) => call.outcome === "ok" && call.settledAt > upAt).map((call) => call.settledAt));
  console.info(
    `server ${how}: down for ${Math.round(upAt - downAt)} ms; host reconnected ${Math.round(hostReconnectedAt - upAt)} ms and client ` +
      `${Math.round(clientReconnectedAt - upAt)} ms after the restart; first success ${Math.round(firstSuccess - upAt)} ms after it; ` +
      `outcomes ${JSON.stringify(counts)}; longest call ${Math.round(longest)} ms`,
  );
});
