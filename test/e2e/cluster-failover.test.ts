// Cluster failover: three nats-servers in a cluster, a host on one member and clients on the
// others. Killing the host's member under a steady load: the host reconnects to another member and
// serves again within a bounded time, and every call in the gap succeeds or fails with a clear
// unavailable or deadline_exceeded, none past its deadline and none handled twice.
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, type ServiceHost } from "nats-micro-runtime";
import { serveTally, TallyClient } from "../gen/testing/reliability/v1/tally_nats.js";
import { startNatsCluster, waitUntil, type NatsCluster } from "../helpers/nats-cluster.js";
import { countOutcomes, startSteadyLoad } from "../helpers/steady-load.js";
import { createTallyHandlers, type TallyState } from "../helpers/tally-handlers.js";

// Bounded reconnects: a lost server is retried every 100 ms, at most 50 times.
const reconnect = { reconnectTimeWait: 100, reconnectJitter: 20, maxReconnectAttempts: 50 } as const;
const callTimeoutMs = 1_000;

let cluster: NatsCluster;
let hostConnection: NatsConnection;
let clientConnections: NatsConnection[] = [];
let host: ServiceHost;
let tally: TallyState;

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  const [first, second, third] = cluster.members.map((member) => member.url) as [string, string, string];
  // The host on the second member; the clients on the first and the third. Every connection
  // knows every member, starting with its own.
  hostConnection = await connect({ servers: [second, first, third], noRandomize: true, ...reconnect });
  clientConnections = [
    await connect({ servers: [first, second, third], noRandomize: true, ...reconnect }),
    await connect({ servers: [third, first, second], noRandomize: true, ...reconnect }),
  ];
  tally = createTallyHandlers({ instance: "only" });
  host = await serveTally(hostConnection, tally.handlers);
});

afterAll(async () => {
  await host?.stop();
  await Promise.all([hostConnection, ...clientConnections].map((connection) => connection?.close()));
  await cluster?.stop();
});

test("killing the host's member: the host serves again from another member within a bounded time, and no call hangs or runs twice", async () => {
  const victim = cluster.members[1]!;
  expect(hostConnection.getServer()).toBe(`127.0.0.1:${victim.ports.client}`);
  const clients = clientConnections.map((connection) => new TallyClient(connection, { timeoutMs: callTimeoutMs }));
  // Both clients reach the host through the cluster before anything fails.
  for (const client of clients) {
    await waitUntil("the host to be reachable from every member", () => client.get({ key: "warm" }).then(() => true), 5_000);
  }

  let reconnectedAt: number | undefined;
  void (async () => {
    for await (const status of hostConnection.status()) {
      if (status.type === "reconnect") {
        reconnectedAt = performance.now();
        return;
      }
    }
  })();

  const load = startSteadyLoad(
    (id) => clients[id % 2]!.get({ key: "load", callId: `call-${id}` }).then((reply) => reply.instance),
    { intervalMs: 10, maxCalls: 600 },
  );
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const killedAt = performance.now();
  await victim.kill();
  // Until calls sent after the kill succeed again, bounded.
  await waitUntil("calls sent after the kill to succeed", () => load.settled.some((call) => call.outcome === "ok" && call.sentAt > killedAt), 10_000);
  const firstSuccess = Math.min(...load.settled.filter((call) => call.outcome === "ok" && call.sentAt > killedAt).map((call) => call.settledAt));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const outcomes = await load.stop();

  // The host is on another member now, and got there through a reconnect.
  expect(reconnectedAt).toBeDefined();
  expect(hostConnection.getServer()).not.toBe(`127.0.0.1:${victim.ports.client}`);
  const serviceGapMs = firstSuccess - killedAt;
  expect(serviceGapMs).toBeLessThan(5_000);

  const counts = countOutcomes(outcomes);
  expect(Object.keys(counts).filter((outcome) => !["ok", Code.Unavailable, Code.DeadlineExceeded].includes(outcome))).toEqual([]);
  expect(counts["ok"]).toBeGreaterThan(outcomes.length / 2);
  // No call waited past its deadline (plus the timer slack of a busy machine).
  const longest = Math.max(...outcomes.map((call) => call.settledAt - call.sentAt));
  expect(longest).toBeLessThan(callTimeoutMs + 500);
  // No call was handled twice; every call answered with success was handled.
  const executions = [...tally.executions.entries()].filter(([callId]) => callId.startsWith("call-"));
  expect(executions.filter(([, count]) => count !== 1)).toEqual([]);
  expect(executions.length).toBeGreaterThanOrEqual(counts["ok"]!);

  console.info(
    `cluster failover: member killed under ${outcomes.length} calls (one per 10 ms); host reconnected after ` +
      `${Math.round(reconnectedAt! - killedAt)} ms, first success ${Math.round(serviceGapMs)} ms after the kill; ` +
      `outcomes ${JSON.stringify(counts)}; longest call ${Math.round(longest)} ms`,
  );
});
