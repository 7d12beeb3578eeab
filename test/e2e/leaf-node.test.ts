// Leaf nodes: a service on a leaf node is called from the hub, and one on the hub from the leaf.
// When the leaf link drops, callers get unavailable at once (no responders), not a timeout; when it
// comes back, calls succeed again without restarting any host, client or connection.
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, type ServiceHost } from "nats-micro-runtime";
import { serveTally, TallyClient } from "../gen/testing/reliability/v1/tally_nats.js";
import { ArborClient, serveArbor } from "../gen/testing/reliability/v1/tree_nats.js";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";
import { createTallyHandlers } from "../helpers/tally-handlers.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

const callTimeoutMs = 5_000;

let hub: NatsProcess;
let leaf: NatsProcess;
let link: TcpProxy;
let connections: NatsConnection[] = [];
let hosts: ServiceHost[] = [];
let tallyFromHub: TallyClient;
let arborFromLeaf: ArborClient;

beforeAll(async () => {
  hub = await startNatsProcess({ name: "hub", acceptLeafNodes: true });
  // The leaf reaches the hub through a link the test can cut while both servers keep running.
  link = await startTcpProxy(hub.ports.leaf!);
  leaf = await startNatsProcess({ name: "leaf", leafRemotes: [`nats-leaf://127.0.0.1:${link.port}`] });
  await waitForLeafLinks(1);

  const [leafHostConnection, leafClientConnection, hubHostConnection, hubClientConnection] = await Promise.all(
    [leaf.url, leaf.url, hub.url, hub.url].map((url) => connect({ servers: url })),
  );
  connections = [leafHostConnection!, leafClientConnection!, hubHostConnection!, hubClientConnection!];
  hosts = [
    await serveTally(leafHostConnection!, createTallyHandlers({ instance: "on the leaf" }).handlers),
    await serveArbor(hubHostConnection!, { measure: (tree) => ({ nodes: 1 + tree.children.length, depth: tree.children.length > 0 ? 2 : 1, labels: tree.label }) }),
  ];
  tallyFromHub = new TallyClient(hubClientConnection!, { timeoutMs: callTimeoutMs });
  arborFromLeaf = new ArborClient(leafClientConnection!, { timeoutMs: callTimeoutMs });
});

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.stop()));
  await Promise.all(connections.map((connection) => connection.close()));
  await leaf?.stop();
  await link?.close();
  await hub?.stop();
});

/** Waits until the hub and the leaf both see `count` leaf connections. */
async function waitForLeafLinks(count: number): Promise<number> {
  return waitUntil(
    `the hub and the leaf to see ${count} leaf node connection(s)`,
    async () => {
      const [hubView, leafView] = await Promise.all([hub, leaf ?? hub].map((server) => server.monitor<{ leafnodes: number }>("/leafz")));
      return hubView!.leafnodes === count && leafView!.leafnodes === count;
    },
    10_000,
  );
}

/** Both directions answer: the hub calls the leaf's service, the leaf the hub's. */
async function bothDirectionsAnswer(): Promise<boolean> {
  const [tally, arbor] = await Promise.all([tallyFromHub.get({ key: "k" }, { timeoutMs: 1_000 }), arborFromLeaf.measure({ label: "root" }, { timeoutMs: 1_000 })]);
  return tally.instance === "on the leaf" && arbor.labels === "root";
}

test("calls cross the leaf link both ways, fail with unavailable at once while it is down, and succeed again when it is back", async () => {
  await waitUntil("calls to cross the leaf link both ways", bothDirectionsAnswer, 10_000);
  const hostIds = hosts.map((host) => host.id);

  link.cut();
  await waitForLeafLinks(0);
  for (const call of [() => tallyFromHub.get({ key: "k" }), () => arborFromLeaf.measure({ label: "root" })]) {
    const startedAt = performance.now();
    const error = await rpcRejection(call());
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/^no service instance is listening on testing\.reliability\.v1\.(Tally\.Get|Arbor\.Measure)$/);
    // No responders: the answer comes from the caller's own server, long before the 5 s timeout.
    expect(performance.now() - startedAt).toBeLessThan(500);
  }

  const restoredAt = performance.now();
  link.restore();
  await waitForLeafLinks(1);
  const recoveryMs = await waitUntil("calls to cross the leaf link again", bothDirectionsAnswer, 10_000);
  // Nothing was restarted: the same host instances answer, on the same connections.
  expect(hosts.map((host) => host.id)).toEqual(hostIds);
  expect(connections.every((connection) => !connection.isClosed())).toBe(true);
  console.info(`leaf link: calls crossed again ${Math.round(performance.now() - restoredAt)} ms after the link was restored (${Math.round(recoveryMs)} ms after the hub saw the leaf again)`);
});
