// The pull lanes that the job worker and the pipeline stops run messages in
// (runtime/src/transport/nats/jetstream-pull-lanes.ts), on a real nats-server with JetStream: how
// many messages a lane takes and runs at once, that each message runs once, and that stopping
// gives back at once what was taken and not run.
import { connect } from "@nats-io/transport-node";
import { nanos, type NatsConnection } from "@nats-io/nats-core";
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, type Consumer, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { startPullLanes, type PullLanes } from "../../runtime/src/transport/nats/jetstream-pull-lanes.js";
import { createLeaseRenewer } from "../../runtime/src/transport/nats/jetstream-lease-renewer.js";
import { createSlotPool } from "../../runtime/src/transport/nats/slot-pool.js";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";

let server: NatsProcess;
let nc: NatsConnection;
let jsm: JetStreamManager;
let lanes: PullLanes | undefined;

beforeAll(async () => {
  server = await startNatsProcess({ name: "pull-lanes", jetStream: true });
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
});

afterEach(async () => {
  await lanes?.stop();
  lanes = undefined;
  leases.close();
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const leaseMs = 30_000;
const leases = createLeaseRenewer(leaseMs);

/** A work-queue stream holding `count` messages (their index as text) and its durable consumer. */
async function queueOf(name: string, count: number): Promise<Consumer> {
  await jsm.streams.add({ name, subjects: [`${name}.>`], retention: RetentionPolicy.Workqueue });
  await jsm.consumers.add(name, { durable_name: name, ack_policy: AckPolicy.Explicit, ack_wait: nanos(leaseMs), max_ack_pending: 1_000 });
  const js = jetstream(nc);
  for (let index = 0; index < count; index += 1) {
    await js.publish(`${name}.work`, String(index));
  }
  return js.consumers.get(name, name);
}

/** Runs that wait until `release()`; counts what runs at once and what ran. */
function heldRuns() {
  const ran: string[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const waiting: (() => void)[] = [];
  return {
    ran,
    get running() {
      return running;
    },
    get mostAtOnce() {
      return mostAtOnce;
    },
    async run(msg: JsMsg) {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise<void>((resolve) => waiting.push(resolve));
      ran.push(msg.string());
      msg.ack();
      running -= 1;
    },
    release() {
      waiting.splice(0).forEach((resolve) => resolve());
    },
  };
}

/** Messages the server has delivered to the consumer's pulls and not had acknowledged. */
async function taken(stream: string): Promise<number> {
  return (await jsm.consumers.info(stream, stream)).num_ack_pending;
}

/** Releases the held runs until each of `count` messages ran, and returns them in order. */
async function runAll(runs: ReturnType<typeof heldRuns>, count: number): Promise<string[]> {
  await waitUntil("every message ran", () => {
    runs.release();
    return runs.ran.length === count;
  }, 10_000);
  return [...runs.ran].sort((a, b) => Number(a) - Number(b));
}

const indexes = (count: number) => Array.from({ length: count }, (_, index) => String(index));

test("a lane of batch one takes the next message only after the one before has run", async () => {
  const consumer = await queueOf("ONE", 5);
  const runs = heldRuns();
  lanes = startPullLanes([{ consumer, run: (msg) => runs.run(msg) }], createSlotPool(4), { lanes: 1, batch: 1, leases, pullExpiresMs: 2_000 });
  await waitUntil("a message runs", () => runs.running === 1, 5_000);
  // Held long enough for a second pull to be answered, had one gone out.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await taken("ONE")).toBe(1);
  expect(await runAll(runs, 5)).toEqual(indexes(5));
  expect(runs.mostAtOnce).toBe(1);
});

test("a lane of a larger batch runs that many at once, holds no more, and runs each message once", async () => {
  const consumer = await queueOf("BATCH", 20);
  const runs = heldRuns();
  lanes = startPullLanes([{ consumer, run: (msg) => runs.run(msg) }], createSlotPool(16), { lanes: 1, batch: 4, leases, pullExpiresMs: 2_000 });
  await waitUntil("four messages run", () => runs.running === 4, 5_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(runs.running).toBe(4);
  expect(await taken("BATCH")).toBeLessThanOrEqual(4 + 4);
  expect(await runAll(runs, 20)).toEqual(indexes(20));
  expect(runs.mostAtOnce).toBe(4);
  await waitUntil("every message acknowledged", async () => (await taken("BATCH")) === 0, 5_000);
});

test("the worker's places bound the lanes of every consumer together", async () => {
  const first = await queueOf("SHARED_A", 10);
  const second = await queueOf("SHARED_B", 10);
  const runs = heldRuns();
  const sources = [first, second].map((consumer) => ({ consumer, run: (msg: JsMsg) => runs.run(msg) }));
  lanes = startPullLanes(sources, createSlotPool(3), { lanes: 1, batch: 4, leases, pullExpiresMs: 2_000 });
  await waitUntil("three messages run", () => runs.running === 3, 5_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(runs.running).toBe(3);
  expect(await runAll(runs, 20)).toHaveLength(20);
  expect(runs.mostAtOnce).toBe(3);
});

test("stopping gives back at once the message that waits for a place, sends no pull after, and waits for what runs", async () => {
  const consumer = await queueOf("STOP", 10);
  const runs = heldRuns();
  // One place, batches of four: message 0 runs, message 1 waits in the lane for the place, and
  // nats.js holds the rest of the batch.
  lanes = startPullLanes([{ consumer, run: (msg) => runs.run(msg) }], createSlotPool(1), { lanes: 1, batch: 4, leases, pullExpiresMs: 2_000 });
  await waitUntil("a message runs and more wait", async () => runs.running === 1 && (await taken("STOP")) > 1, 5_000);
  let stopped = false;
  const stopping = lanes.stop().then(() => (stopped = true));
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(stopped).toBe(false);
  runs.release();
  await stopping;
  expect(runs.ran).toEqual(["0"]);
  const { delivered } = await jsm.consumers.info("STOP", "STOP");
  const neverDelivered = indexes(10).slice(delivered.stream_seq);
  // The next worker takes message 1 and every message the lane did not take now, not after the
  // lease; none was handed to a pull of the stopped lane. The rest of the lane's batch (at most
  // its size) comes back after the lease.
  const again: string[] = [];
  for await (const msg of await consumer.fetch({ max_messages: 10, expires: 2_000 })) {
    again.push(msg.string());
    msg.ack();
  }
  expect(new Set(again).size).toBe(again.length);
  expect(again).toEqual(expect.arrayContaining(["1", ...neverDelivered]));
  expect(again).not.toContain("0");
  expect(9 - again.length).toBeLessThanOrEqual(4);
});
