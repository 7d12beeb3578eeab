// Rolling restarts: instances of a service in a queue group are restarted one at a time, each
// stopping gracefully (draining), under a steady load. A client whose retry policy covers the
// idempotent methods sees no failed call.
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, type RetryPolicy, type ServiceHost } from "nats-micro-runtime";
import { createRpcMetrics, type RpcMetrics } from "nats-micro-runtime/metrics";
import { serveTally, TallyClient } from "../gen/testing/reliability/v1/tally_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { countOutcomes, startSteadyLoad } from "../helpers/steady-load.js";
import { createTallyHandlers } from "../helpers/tally-handlers.js";

// Back-offs of at least 25, 50, 100, then 125 ms (half of each is random): the retries of a call
// span a restart of a second or more, within its timeout.
const retry: RetryPolicy = { maxAttempts: 20, initialBackoffMs: 50, maxBackoffMs: 250, jitter: 0.5 };
const callTimeoutMs = 5_000;

let server: NatsServer;
let clientConnection: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  clientConnection = await connect({ servers: server.url });
});

afterAll(async () => {
  await clientConnection.close();
  await server.stop();
});

/** One instance of Tally as its own process would run it: a connection of its own and a host. */
interface Instance {
  readonly name: string;
  connection: NatsConnection;
  host: ServiceHost;
}

async function startInstance(name: string): Promise<Instance> {
  const connection = await connect({ servers: server.url, name });
  // Each handler takes a little time, so that restarts find calls in progress.
  const host = await serveTally(connection, createTallyHandlers({ instance: name, delayMs: 5 }).handlers);
  return { name, connection, host };
}

/** Restarts an instance as a deployment would: drain and stop, close the connection, start anew. */
async function restart(instance: Instance, downtimeMs: number): Promise<void> {
  await instance.host.stop();
  await instance.connection.close();
  await new Promise((resolve) => setTimeout(resolve, downtimeMs));
  const fresh = await startInstance(instance.name);
  instance.connection = fresh.connection;
  instance.host = fresh.host;
}

async function stopAll(instances: readonly Instance[]): Promise<void> {
  for (const instance of instances) {
    await instance.host.stop();
    await instance.connection.close();
  }
}

async function retriesCounted(metrics: RpcMetrics): Promise<number> {
  const metric = await metrics.client.retries.get();
  return metric.values.reduce((sum, value) => sum + value.value, 0);
}

test("two instances restarted in turn under load: every call succeeds, and both instances answer after", async () => {
  const instances = [await startInstance("first"), await startInstance("second")];
  const metrics = createRpcMetrics();
  const client = new TallyClient(clientConnection, { timeoutMs: callTimeoutMs, retry, metrics });
  try {
    const load = startSteadyLoad(
      (id) => (id % 2 === 0 ? client.get({ key: "k" }) : client.set({ key: "k", value: BigInt(id) })).then((reply) => reply.instance),
      { intervalMs: 5, maxCalls: 2_000 },
    );
    for (const instance of instances) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await restart(instance, 200);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const outcomes = await load.stop();

    expect(countOutcomes(outcomes)).toEqual({ ok: outcomes.length });
    expect(outcomes.length).toBeGreaterThan(100);
    // Both instances are serving again: the last calls were shared between them.
    const answeredBy = new Set(outcomes.slice(-50).map((call) => call.value));
    expect(answeredBy).toEqual(new Set(["first", "second"]));
    console.info(`rolling restart: ${outcomes.length} calls, all ok, ${await retriesCounted(metrics)} retries`);
  } finally {
    await stopAll(instances);
  }
});

test("the only instance restarted under load: idempotent calls are retried through the gap and all succeed; a call that is not idempotent fails fast with unavailable", async () => {
  const [instance] = [await startInstance("only")];
  const metrics = createRpcMetrics();
  const client = new TallyClient(clientConnection, { timeoutMs: callTimeoutMs, retry, metrics });
  try {
    const idempotent = startSteadyLoad((id) => client.get({ key: "k", callId: `get-${id}` }).then((reply) => reply.instance), { intervalMs: 5, maxCalls: 1_000 });
    const notIdempotent = startSteadyLoad((id) => client.add({ key: "k", delta: 1n, callId: `add-${id}` }).then((reply) => reply.instance), {
      intervalMs: 5,
      maxCalls: 1_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await restart(instance!, 300);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [gets, adds] = await Promise.all([idempotent.stop(), notIdempotent.stop()]);

    expect(countOutcomes(gets)).toEqual({ ok: gets.length });
    expect(await retriesCounted(metrics)).toBeGreaterThan(0);
    // Add is never retried: in the gap it fails with unavailable, at once.
    const addCounts = countOutcomes(adds);
    expect(Object.keys(addCounts).sort()).toEqual(["ok", Code.Unavailable]);
    const failedAdds = adds.filter((call) => call.outcome !== "ok");
    expect(Math.max(...failedAdds.map((call) => call.settledAt - call.sentAt))).toBeLessThan(500);
    console.info(
      `single instance restart: ${gets.length} idempotent calls all ok (${await retriesCounted(metrics)} retries); ` +
        `non-idempotent calls ${JSON.stringify(addCounts)}`,
    );
  } finally {
    await stopAll([instance!]);
  }
});
