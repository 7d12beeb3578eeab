// Load balancing: instances of a service in one queue group share its requests; instances outside
// a queue group (or in different ones) each receive every request.
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import type { HostOptions, ServiceHost, StatsResponse } from "nats-micro-runtime";
import { calcHandlers } from "../../example/src/calc-handlers.js";
import { CalcClient, serveCalc } from "../../example/src/gen/calc/v1/calc_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { openInbox } from "../helpers/raw-nats.js";

let server: NatsServer;
// Each instance has a connection of its own, as separate processes would.
let hostConnections: NatsConnection[];
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  hostConnections = [await connect({ servers: server.url }), await connect({ servers: server.url })];
  nc = await connect({ servers: server.url });
});

afterAll(async () => {
  await Promise.all([nc, ...hostConnections].map((connection) => connection.close()));
  await server.stop();
});

function requestsOf(stats: StatsResponse, endpoint: string): number {
  const found = stats.endpoints.find((candidate) => candidate.name === endpoint);
  if (found === undefined) {
    throw new Error(`no endpoint ${endpoint} in the stats of ${stats.id}`);
  }
  return found.num_requests;
}

async function statsOverWire(host: ServiceHost): Promise<StatsResponse> {
  const reply = await nc.request(`$SRV.STATS.${host.definition.name}.${host.id}`, undefined, { timeout: 2_000 });
  return reply.json<StatsResponse>();
}

async function serveTwo(options: HostOptions = {}): Promise<[ServiceHost, ServiceHost]> {
  const [first, second] = hostConnections as [NatsConnection, NatsConnection];
  return [await serveCalc(first, calcHandlers, options), await serveCalc(second, calcHandlers, options)];
}

test("two instances in queue group q share 200 requests between them, and count every one", async () => {
  const hosts = await serveTwo();
  try {
    expect(hosts.map((host) => host.definition.endpoints.map((endpoint) => endpoint.queueGroup))).toEqual([
      ["q", "q"],
      ["q", "q"],
    ]);
    const calc = new CalcClient(nc);
    const replies = await Promise.all(Array.from({ length: 200 }, (_, index) => calc.sum({ values: [index, 1] }, { timeoutMs: 5_000 })));
    replies.forEach((reply, index) => expect(reply).toMatchObject({ operation: "sum", result: index + 1 }));

    // A host counts a request before its reply can reach the caller, so the counts are final here.
    const counts = hosts.map((host) => requestsOf(host.stats(), "Sum"));
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(0);
    expect(counts[0]! + counts[1]!).toBe(200);
    // $SRV.STATS says the same as the hosts themselves.
    for (const [index, host] of hosts.entries()) {
      const stats = await statsOverWire(host);
      expect(stats.id).toBe(host.id);
      expect(requestsOf(stats, "Sum")).toBe(counts[index]);
      expect(requestsOf(stats, "Average")).toBe(0);
    }
  } finally {
    await Promise.all(hosts.map((host) => host.stop()));
  }
});

test("with the queue group switched off, every instance receives every request", async () => {
  const hosts = await serveTwo({ queueGroup: false });
  const inbox = openInbox(nc);
  try {
    await nc.flush();
    expect(hosts[0].info().endpoints.every((endpoint) => endpoint.queue_group === undefined)).toBe(true);
    const requests = 10;
    for (let index = 0; index < requests; index += 1) {
      inbox.publish("calc.v1.Calc.Sum", new Uint8Array(0));
    }
    // One reply per instance per request.
    const replies = await inbox.waitForCount(2 * requests);
    expect(replies).toHaveLength(2 * requests);
    expect(hosts.map((host) => requestsOf(host.stats(), "Sum"))).toEqual([requests, requests]);
  } finally {
    inbox.unsubscribe();
    await Promise.all(hosts.map((host) => host.stop()));
  }
});

test("instances in different queue groups each receive every request", async () => {
  const [first, second] = hostConnections as [NatsConnection, NatsConnection];
  const hosts = [await serveCalc(first, calcHandlers, { queueGroup: "blue" }), await serveCalc(second, calcHandlers, { queueGroup: "green" })];
  const inbox = openInbox(nc);
  try {
    await nc.flush();
    expect(hosts.map((host) => host.info().endpoints[0]?.queue_group)).toEqual(["blue", "green"]);
    const requests = 10;
    for (let index = 0; index < requests; index += 1) {
      inbox.publish("calc.v1.Calc.Sum", new Uint8Array(0));
    }
    await inbox.waitForCount(2 * requests);
    expect(hosts.map((host) => requestsOf(host.stats(), "Sum"))).toEqual([requests, requests]);
  } finally {
    inbox.unsubscribe();
    await Promise.all(hosts.map((host) => host.stop()));
  }
});
