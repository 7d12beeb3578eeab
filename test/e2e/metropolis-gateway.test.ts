// Seed 000 rebuilt: Metropolis's workers and gateways on a three-member NATS cluster. Workers on
// two members, gateways on two others; killing the member a gateway is connected to, under a
// steady stream of HTTP requests, the gateway reconnects to another member and answers again
// within a bounded time, and no request hangs past its deadline.
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import type { ServiceHost } from "nats-micro-runtime";
import { serveGateway, type Gateway } from "nats-micro-runtime/gateway";
import { workerHandlers } from "../../examples/metropolis/src/worker-handlers.js";
import { serveWorker } from "../../examples/metropolis/src/gen/metropolis/v1/worker_nats.js";
import { Worker } from "../../examples/metropolis/src/gen/metropolis/v1/worker_pb.js";
import { startNatsCluster, type NatsCluster } from "../helpers/nats-cluster.js";

// Bounded reconnects: a lost server is retried every 100 ms, at most 50 times.
const reconnect = { reconnectTimeWait: 100, reconnectJitter: 20, maxReconnectAttempts: 50 } as const;

let cluster: NatsCluster;
const connections: NatsConnection[] = [];
const hosts: ServiceHost[] = [];
const gateways: Gateway[] = [];

// A connection that starts on one member and knows the others.
async function connectTo(index: number): Promise<NatsConnection> {
  const urls = cluster.members.map((member) => member.url);
  const connection = await connect({ servers: [urls[index]!, ...urls.filter((_, other) => other !== index)], noRandomize: true, ...reconnect });
  connections.push(connection);
  return connection;
}

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  // Workers on members 0 and 2, gateways on members 1 and 2; member 1 has no worker.
  for (const index of [0, 2]) {
    hosts.push(await serveWorker(await connectTo(index), workerHandlers));
  }
  for (const index of [1, 2]) {
    gateways.push(await serveGateway(await connectTo(index), [Worker], { port: 0 }));
  }
}, 30_000);

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await Promise.all(hosts.map((host) => host.stop()));
  await Promise.all(connections.map((connection) => connection.close()));
  await cluster?.stop();
});

async function reverse(gateway: Gateway, data: string): Promise<{ status: number; data?: string }> {
  const response = await fetch(`${gateway.url}/foo/bar`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Connect-Timeout-Ms": "1000" },
    body: JSON.stringify({ data }),
    // The call's deadline and a margin: a request that outlives it hangs.
    signal: AbortSignal.timeout(3_000),
  });
  const json = (await response.json()) as { data?: string };
  return { status: response.status, ...(json.data === undefined ? {} : { data: json.data }) };
}

test("both gateways answer from workers on other members", async () => {
  for (const gateway of gateways) {
    // Until the workers' interest has reached every member.
    for (let attempt = 0; attempt < 100 && (await reverse(gateway, "warm")).status !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await reverse(gateway, "hello, metropolis")).toEqual({ status: 200, data: "siloportem ,olleh" });
  }
});

test("killing a gateway's member: it answers again from another member, and no request hangs", async () => {
  const gateway = gateways[0]!;
  const victim = cluster.members[1]!;
  expect(connections[2]!.getServer()).toBe(`127.0.0.1:${victim.ports.client}`);
  const outcomes: Array<{ at: number; status: number }> = [];
  const started = performance.now();
  let killedAt = 0;
  // A request every 20 ms for at most 10 s; the member dies after 1 s.
  for (let sent = 0; sent < 500 && performance.now() - started < 10_000; sent++) {
    if (killedAt === 0 && performance.now() - started > 1_000) {
      await victim.kill();
      killedAt = performance.now();
    }
    const outcome = await reverse(gateway, `r${sent}`).then(
      (reply) => reply.status,
      () => 0, // no answer within the deadline and its margin
    );
    outcomes.push({ at: performance.now(), status: outcome });
    // Stop once it has answered steadily for 2 s after the kill.
    if (killedAt > 0 && outcomes.filter((each) => each.at > killedAt && each.status === 200).length > 100) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(killedAt).toBeGreaterThan(0);
  // Every request answered: 200, or 503/504 while the gateway had no server.
  expect(outcomes.filter((each) => ![200, 503, 504].includes(each.status))).toEqual([]);
  // The longest time without a successful answer around the kill.
  const successes = outcomes.filter((each) => each.status === 200).map((each) => each.at);
  const firstAfter = successes.find((at) => at > killedAt);
  expect(firstAfter).toBeDefined();
  const lastBefore = successes.filter((at) => at < killedAt).at(-1) ?? started;
  const gapMs = firstAfter! - lastBefore;
  expect(gapMs).toBeLessThan(8_000);
  // Once back, it stays back.
  const afterRecovery = outcomes.filter((each) => each.at > firstAfter!);
  expect(afterRecovery.every((each) => each.status === 200)).toBe(true);
  // The other gateway, on a member still up, never stopped answering.
  expect((await reverse(gateways[1]!, "still here")).data).toBe("ereh llits");
}, 30_000);
