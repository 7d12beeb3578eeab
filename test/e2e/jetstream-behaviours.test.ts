// What nats-server (Debian's v2.9.10 in these tests) really does with each JetStream feature the
// durable jobs design relies on (docs/jobs-server-behaviours.md): nak delays, BackOff, ack waits
// and `working()`, work-queue retention, max deliveries, publish deduplication, key-value
// compare-and-set, watches and TTL, message get/delete, a SIGKILL of the server, and the numbers
// consumer info gives. Each test fails if the server behaves otherwise; a test named "2.9.10: ..."
// records a behaviour that later servers change or that the design works around.
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import { nanos, type NatsConnection } from "@nats-io/nats-core";
import {
  AckPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  type ApiError,
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Kvm, type KvWatchEntry } from "@nats-io/kv";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";

let server: NatsProcess;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsProcess({ name: "js", jetStream: true });
  nc = await connect({ servers: server.url });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Timers on either side fire a few milliseconds apart; a wait measured here may be this much short. */
const slackMs = 25;

/** A work-queue stream `name` on subjects `<name>.>`, with file storage (the default). */
async function addWorkStream(manager: JetStreamManager, name: string, config: Partial<StreamConfig> = {}): Promise<void> {
  await manager.streams.add({ name, subjects: [`${name}.>`], retention: RetentionPolicy.Workqueue, ...config });
}

/** A durable pull consumer with explicit acks on one subject, and its handle. */
async function addConsumer(stream: string, durable: string, config: Record<string, unknown> = {}): Promise<Consumer> {
  await jsm.consumers.add(stream, { durable_name: durable, filter_subject: `${stream}.${durable}`, ack_policy: AckPolicy.Explicit, ...config });
  return js.consumers.get(stream, durable);
}

/** Pulls one message (`expires` is at least 1,000 ms in nats.js v3); null when none came. */
async function pull(consumer: Consumer, expires = 3_000): Promise<{ msg: JsMsg | null; at: number }> {
  const msg = await consumer.next({ expires });
  return { msg, at: performance.now() };
}

/** The API error the server answered with, for a call it must refuse. */
async function refusal(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof JetStreamApiError) {
      return error.apiError();
    }
    throw error;
  }
  throw new Error("the server accepted what it was expected to refuse");
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function messagesIn(stream: string, manager = jsm): Promise<number> {
  return (await manager.streams.info(stream)).state.messages;
}

describe("redelivery", () => {
  it("1. nak(delay) redelivers no sooner than the delay and counts the delivery", async () => {
    await addWorkStream(jsm, "nakdelay");
    const consumer = await addConsumer("nakdelay", "m", { ack_wait: nanos(5_000) });
    await js.publish("nakdelay.m", "job");

    const first = (await pull(consumer)).msg!;
    expect(first.info.deliveryCount).toBe(1);
    const delayMs = 700;
    const nakAt = performance.now();
    first.nak(delayMs);
    const second = await pull(consumer);
    const waited = second.at - nakAt;
    expect(second.msg!.info.deliveryCount).toBe(2);
    expect(second.msg!.info.redelivered).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(delayMs - slackMs);
    expect(waited).toBeLessThan(delayMs + 1_000);

    const nakAgainAt = performance.now();
    second.msg!.nak(300);
    const third = await pull(consumer);
    expect(third.at - nakAgainAt).toBeGreaterThanOrEqual(300 - slackMs);
    expect(third.msg!.info.deliveryCount).toBe(3);
    await third.msg!.ackAck();
    console.info(`nak(${delayMs}) came back after ${Math.round(waited)} ms; nak(300) after ${Math.round(third.at - nakAgainAt)} ms`);
  });

  it("2. 2.9.10: a plain nak() ignores the consumer's BackOff: the message comes back at once", async () => {
    await addWorkStream(jsm, "nakbackoff");
    const backoffMs = [1_500, 3_000];
    const consumer = await addConsumer("nakbackoff", "m", { ack_wait: nanos(5_000), backoff: backoffMs.map(nanos), max_deliver: 5 });
    await js.publish("nakbackoff.m", "job");

    const first = (await pull(consumer)).msg!;
    const nakAt = performance.now();
    first.nak();
    const second = await pull(consumer);
    expect(second.msg!.info.deliveryCount).toBe(2);
    const waited = second.at - nakAt;
    // Far below BackOff[0] (1,500 ms): BackOff applies to ack wait expiry only, not to a nak.
    expect(waited).toBeLessThan(500);

    const nakAgainAt = performance.now();
    second.msg!.nak();
    const third = await pull(consumer);
    expect(third.msg!.info.deliveryCount).toBe(3);
    expect(third.at - nakAgainAt).toBeLessThan(500);
    await third.msg!.ackAck();
    console.info(`plain nak with BackOff [1.5 s, 3 s]: back after ${Math.round(waited)} ms and ${Math.round(third.at - nakAgainAt)} ms`);
  });

  it("3. BackOff replaces ack_wait: an unacknowledged delivery comes back after BackOff[0], the next after BackOff[1]", async () => {
    await addWorkStream(jsm, "backoffwait");
    const ackWaitMs = 5_000;
    const backoffMs = [600, 1_200];
    // max_deliver must be more than the number of BackOff values.
    const refused = await refusal(
      jsm.consumers.add("backoffwait", {
        durable_name: "short",
        filter_subject: "backoffwait.short",
        ack_policy: AckPolicy.Explicit,
        backoff: backoffMs.map(nanos),
        max_deliver: backoffMs.length,
      }),
    );
    expect(refused).toMatchObject({ err_code: 10116, description: "max deliver is required to be > length of backoff values" });

    const consumer = await addConsumer("backoffwait", "m", { ack_wait: nanos(ackWaitMs), backoff: backoffMs.map(nanos), max_deliver: 4 });
    // The server stores BackOff[0] as the consumer's ack_wait.
    expect((await jsm.consumers.info("backoffwait", "m")).config.ack_wait).toBe(nanos(backoffMs[0]!));
    await js.publish("backoffwait.m", "job");

    const first = await pull(consumer); // never acknowledged
    expect(first.msg!.info.deliveryCount).toBe(1);
    const second = await pull(consumer, 4_000);
    const firstWait = second.at - first.at;
    expect(second.msg!.info.deliveryCount).toBe(2);
    expect(firstWait).toBeGreaterThanOrEqual(backoffMs[0]! - slackMs);
    expect(firstWait).toBeLessThan(backoffMs[1]!);
    const third = await pull(consumer, 4_000);
    const secondWait = third.at - second.at;
    expect(third.msg!.info.deliveryCount).toBe(3);
    expect(secondWait).toBeGreaterThanOrEqual(backoffMs[1]! - slackMs);
    expect(secondWait).toBeLessThan(ackWaitMs);
    await third.msg!.ackAck();
    console.info(`ack_wait 5 s, BackOff [600 ms, 1.2 s]: redelivered after ${Math.round(firstWait)} ms, then ${Math.round(secondWait)} ms`);
  });

  it("4. working() every third of ack_wait keeps a held message from being redelivered", async () => {
    await addWorkStream(jsm, "working");
    const ackWaitMs = 600;
    const consumer = await addConsumer("working", "m", { ack_wait: nanos(ackWaitMs) });
    await js.publish("working.m", "job");
    const otherConnection = await connect({ servers: server.url });
    try {
      const other = await jetstream(otherConnection).consumers.get("working", "m");
      const held = (await pull(consumer)).msg!;
      const heldAt = performance.now();
      const renewals = setInterval(() => held.working(), ackWaitMs / 3);
      let otherGot: JsMsg | null;
      try {
        // Another worker pulls for three ack waits and more.
        otherGot = (await pull(other, 2_000)).msg;
      } finally {
        clearInterval(renewals);
      }
      expect(otherGot).toBeNull();
      expect(performance.now() - heldAt).toBeGreaterThan(3 * ackWaitMs);
      // The ack of a message held past ack_wait (but renewed) is taken: the message is gone.
      await held.ackAck();
      expect(await messagesIn("working")).toBe(0);
    } finally {
      await otherConnection.close();
    }
  });

  it("5. a message a dead worker never acknowledged goes to another worker's pull after ack_wait, with deliveryCount 2", async () => {
    await addWorkStream(jsm, "died");
    const ackWaitMs = 500;
    await addConsumer("died", "m", { ack_wait: nanos(ackWaitMs) });
    await js.publish("died.m", "job");

    const deadWorker = await connect({ servers: server.url });
    const taken = await pull(await jetstream(deadWorker).consumers.get("died", "m"));
    expect(taken.msg!.info.deliveryCount).toBe(1);
    await deadWorker.close(); // never acknowledges

    const survivor = await connect({ servers: server.url });
    try {
      const redelivered = await pull(await jetstream(survivor).consumers.get("died", "m"));
      expect(redelivered.msg!.info.deliveryCount).toBe(2);
      expect(redelivered.msg!.info.redelivered).toBe(true);
      expect(redelivered.msg!.seq).toBe(taken.msg!.seq);
      expect(redelivered.at - taken.at).toBeGreaterThanOrEqual(ackWaitMs - slackMs);
      await redelivered.msg!.ackAck();
    } finally {
      await survivor.close();
    }
  });
});

describe("work queue", () => {
  it("6. an acknowledged message leaves the stream; consumers need filters that do not overlap", async () => {
    await addWorkStream(jsm, "wq");
    const a = await addConsumer("wq", "a");
    await addConsumer("wq", "b");
    // A filter overlapping another consumer's, or the same filter, is refused.
    const notUnique = { code: 400, err_code: 10100, description: "filtered consumer not unique on workqueue stream" };
    expect(await refusal(jsm.consumers.add("wq", { durable_name: "all", filter_subject: "wq.>", ack_policy: AckPolicy.Explicit }))).toMatchObject(notUnique);
    expect(await refusal(jsm.consumers.add("wq", { durable_name: "again", filter_subject: "wq.a", ack_policy: AckPolicy.Explicit }))).toMatchObject(notUnique);

    await js.publish("wq.a", "job");
    expect(await messagesIn("wq")).toBe(1);
    const msg = (await pull(a)).msg!;
    expect(await messagesIn("wq")).toBe(1); // delivered, not yet acknowledged
    await msg.ackAck();
    expect(await messagesIn("wq")).toBe(0);
  });

  it("7. 2.9.10: max_deliver reached: the MAX_DELIVERIES advisory, with the stream sequence, comes when a pull next asks for messages, and the message stays in the work-queue stream", async () => {
    await addWorkStream(jsm, "poison");
    const ackWaitMs = 300;
    const consumer = await addConsumer("poison", "m", { ack_wait: nanos(ackWaitMs), max_deliver: 2 });
    let advisedAt: number | undefined;
    const advisories = nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.poison.m", { max: 1 });
    const advisory = (async () => {
      for await (const msg of advisories) {
        advisedAt = performance.now();
        return msg.json<{ type: string; stream: string; consumer: string; stream_seq: number; deliveries: number }>();
      }
      throw new Error("no advisory");
    })();
    await nc.flush();
    const ack = await js.publish("poison.m", "poison");

    const first = (await pull(consumer)).msg!;
    first.nak();
    const second = await pull(consumer); // the last delivery: never acknowledged
    expect(second.msg!.info.deliveryCount).toBe(2);
    // Its ack wait runs out three times over with no pull waiting: no advisory yet, still pending.
    await sleep(3 * ackWaitMs);
    expect(advisedAt).toBeUndefined();
    expect(await jsm.consumers.info("poison", "m")).toMatchObject({ num_pending: 0, num_ack_pending: 1 });

    // The next pull gets nothing, and makes the server notice the maximum.
    const pulledAt = performance.now();
    expect((await pull(consumer, 1_000)).msg).toBeNull();
    const event = await withTimeout(advisory, 3_000, "the MAX_DELIVERIES advisory");
    expect(event).toMatchObject({ type: "io.nats.jetstream.advisory.v1.max_deliver", stream: "poison", consumer: "m", stream_seq: ack.seq, deliveries: 2 });
    expect(advisedAt!).toBeGreaterThanOrEqual(pulledAt);

    // Not delivered again, yet not removed: it stays in the stream, below the consumer's ack floor.
    expect(await messagesIn("poison")).toBe(1);
    expect((await jsm.streams.getMessage("poison", { seq: ack.seq }))?.string()).toBe("poison");
    const info = await jsm.consumers.info("poison", "m");
    expect(info).toMatchObject({ num_pending: 0, num_ack_pending: 0 });
    expect(info.ack_floor.stream_seq).toBeLessThan(ack.seq);
    console.info(`MAX_DELIVERIES advisory ${Math.round(advisedAt! - pulledAt)} ms after the pull that followed; consumer ${JSON.stringify({ ack_floor: info.ack_floor.stream_seq, num_redelivered: info.num_redelivered })}`);
  });

  it("8. a publish with the same Nats-Msg-Id within duplicate_window is a duplicate with the first's sequence; after the window it is stored again", async () => {
    const windowMs = 1_000;
    await addWorkStream(jsm, "dedup", { duplicate_window: nanos(windowMs) });
    expect((await jsm.streams.info("dedup")).config.duplicate_window).toBe(nanos(windowMs));

    const first = await js.publish("dedup.m", "job", { msgID: "job-1" });
    const again = await js.publish("dedup.m", "job", { msgID: "job-1" });
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ duplicate: true, seq: first.seq });
    expect(await messagesIn("dedup")).toBe(1);

    await sleep(2 * windowMs);
    const later = await js.publish("dedup.m", "job", { msgID: "job-1" });
    expect(later.duplicate).toBe(false);
    expect(later.seq).toBeGreaterThan(first.seq);
    expect(await messagesIn("dedup")).toBe(2);
  });
});

describe("key-value", () => {
  it("9a. create fails on an existing key, update fails on a wrong revision (both 'wrong last sequence'), and a watch gives the current value first", async () => {
    const kv = await new Kvm(nc).create("records", { history: 1 });
    const created = await kv.create("job-1", "queued");
    const exists = await refusal(kv.create("job-1", "again"));
    expect(exists).toMatchObject({ code: 400, err_code: 10071, description: `wrong last sequence: ${created}` });
    const stale = await refusal(kv.update("job-1", "active", created + 7));
    expect(stale).toMatchObject({ code: 400, err_code: 10071, description: `wrong last sequence: ${created}` });
    const updated = await kv.update("job-1", "active", created);
    expect(updated).toBeGreaterThan(created);

    // A write just before the watch starts is its first entry; later writes follow.
    const watch = await kv.watch({ key: "job-1" });
    try {
      const entries = watch[Symbol.asyncIterator]();
      const next = async (): Promise<KvWatchEntry> => (await withTimeout(entries.next(), 3_000, "a watch entry")).value as KvWatchEntry;
      const current = await next();
      expect(current).toMatchObject({ key: "job-1", revision: updated, operation: "PUT" });
      expect(current.string()).toBe("active");
      const done = await kv.update("job-1", "done", updated);
      const change = await next();
      expect(change).toMatchObject({ key: "job-1", revision: done, operation: "PUT" });
      expect(change.string()).toBe("done");
    } finally {
      watch.stop();
    }
  });

  it("9b. a bucket's ttl is its stream's max_age, and it expires entries; the key can then be created again", async () => {
    const ttlMs = 1_000;
    const kv = await new Kvm(nc).create("expiring", { history: 1, ttl: ttlMs });
    expect((await jsm.streams.info("KV_expiring")).config.max_age).toBe(nanos(ttlMs));
    const writtenAt = performance.now();
    await kv.create("job-1", "done");
    expect((await kv.get("job-1"))?.string()).toBe("done");

    await waitUntil("the entry to expire", async () => (await kv.get("job-1")) === null, 5_000);
    const expiredAfter = performance.now() - writtenAt;
    expect(expiredAfter).toBeGreaterThanOrEqual(ttlMs - slackMs);
    expect(await kv.create("job-1", "again")).toBeGreaterThan(0);
    console.info(`kv entry with ttl ${ttlMs} ms gone after ${Math.round(expiredAfter)} ms`);
  });
});

describe("messages by subject and sequence", () => {
  it("10. getMessage by last_by_subj finds a subject's last message; deleteMessage removes one message; 2.9.10: once a subject's last message is deleted, last_by_subj finds none though an older one is there", async () => {
    await addWorkStream(jsm, "getdel", { allow_direct: true });
    const firstA = await js.publish("getdel.a", "a1");
    await js.publish("getdel.b", "b1");
    const lastA = await js.publish("getdel.a", "a2");
    await js.publish("getdel.b", "b2");

    const found = await jsm.streams.getMessage("getdel", { last_by_subj: "getdel.a" });
    expect(found).toMatchObject({ seq: lastA.seq, subject: "getdel.a" });
    expect(found!.string()).toBe("a2");
    expect(found!.time).toBeInstanceOf(Date);

    expect(await jsm.streams.deleteMessage("getdel", lastA.seq)).toBe(true);
    expect(await messagesIn("getdel")).toBe(3);
    expect(await jsm.streams.getMessage("getdel", { seq: lastA.seq })).toBeNull();
    // a1 is still in the stream, but the subject's "last" still points at the deleted message.
    expect((await jsm.streams.info("getdel", { subjects_filter: "getdel.a" })).state.subjects).toEqual({ "getdel.a": 1 });
    expect(await jsm.streams.getMessage("getdel", { last_by_subj: "getdel.a" })).toBeNull();
    expect(await jsm.direct.getMessage("getdel", { last_by_subj: "getdel.a" })).toBeNull();
    // Looking forward from the start finds it.
    expect(await jsm.direct.getMessage("getdel", { next_by_subj: "getdel.a", seq: 0 })).toMatchObject({ seq: firstA.seq });
    // A subject holding one message (a dead letter's) is simply gone once that message is deleted.
    const onlyC = await js.publish("getdel.c", "c1");
    expect(await jsm.streams.deleteMessage("getdel", onlyC.seq)).toBe(true);
    expect(await jsm.streams.getMessage("getdel", { last_by_subj: "getdel.c" })).toBeNull();
  });
});

describe("a SIGKILL of the server", () => {
  it("11a. every message acknowledged by a puback before the kill is there after the restart", async () => {
    const own = await startNatsProcess({ name: "js-kill", jetStream: true });
    try {
      let connection = await connect({ servers: own.url });
      await addWorkStream(await jetstreamManager(connection), "durable");
      const client = jetstream(connection);
      const acks = await Promise.all(Array.from({ length: 1_000 }, (_, index) => client.publish("durable.m", String(index))));
      expect(new Set(acks.map((ack) => ack.seq)).size).toBe(1_000);
      await connection.close();
      await own.kill();
      await own.start();

      connection = await connect({ servers: own.url });
      try {
        const manager = await jetstreamManager(connection);
        expect((await manager.streams.info("durable")).state).toMatchObject({ messages: 1_000, first_seq: 1, last_seq: 1_000 });
        await manager.consumers.add("durable", { durable_name: "m", filter_subject: "durable.m", ack_policy: AckPolicy.Explicit });
        const consumer = await jetstream(connection).consumers.get("durable", "m");
        const payloads = new Set<string>();
        for (let round = 0; round < 10 && payloads.size < 1_000; round += 1) {
          for await (const msg of await consumer.fetch({ max_messages: 1_000, expires: 2_000 })) {
            payloads.add(msg.string());
          }
        }
        expect(payloads).toEqual(new Set(Array.from({ length: 1_000 }, (_, index) => String(index))));
      } finally {
        await connection.close();
      }
    } finally {
      await own.stop();
    }
  });

  it("11b. 2.9.10: acks of the last moments before the kill are lost: removed messages come back; those at or below the restored ack floor are never delivered again and stay in the stream", async () => {
    const own = await startNatsProcess({ name: "js-kill-acks", jetStream: true });
    try {
      let connection = await connect({ servers: own.url });
      await addWorkStream(await jetstreamManager(connection), "acks");
      const ackWaitMs = 1_000;
      await (await jetstreamManager(connection)).consumers.add("acks", {
        durable_name: "m",
        filter_subject: "acks.m",
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(ackWaitMs),
      });
      const client = jetstream(connection);
      await Promise.all(Array.from({ length: 1_000 }, (_, index) => client.publish("acks.m", String(index))));
      let acked = 0;
      for await (const msg of await (await client.consumers.get("acks", "m")).fetch({ max_messages: 300, expires: 3_000 })) {
        await msg.ackAck();
        acked += 1;
      }
      expect(acked).toBe(300);
      const before = await jetstreamManager(connection);
      expect(await messagesIn("acks", before)).toBe(700);
      expect((await before.consumers.info("acks", "m")).ack_floor.stream_seq).toBe(300);
      await connection.close();
      await own.kill();
      await own.start();

      connection = await connect({ servers: own.url });
      try {
        const manager = await jetstreamManager(connection);
        const back = await messagesIn("acks", manager);
        const restored = await manager.consumers.info("acks", "m");
        // Messages removed by acknowledged acks are in the stream again.
        expect(back).toBeGreaterThan(700);

        const consumer = await jetstream(connection).consumers.get("acks", "m");
        const delivered = new Set<number>();
        for (let round = 0; round < 20; round += 1) {
          let got = 0;
          for await (const msg of await consumer.fetch({ max_messages: 1_000, expires: 1_000 })) {
            delivered.add(msg.seq);
            await msg.ackAck();
            got += 1;
          }
          const info = await manager.consumers.info("acks", "m");
          if (got === 0 && info.num_pending === 0 && info.num_ack_pending === 0) {
            break;
          }
        }
        expect(await manager.consumers.info("acks", "m")).toMatchObject({ num_pending: 0, num_ack_pending: 0 });
        // Every message not acknowledged before the kill is delivered; none below the restored ack floor is.
        for (let seq = 301; seq <= 1_000; seq += 1) {
          expect(delivered.has(seq)).toBe(true);
        }
        for (let seq = 1; seq <= restored.ack_floor.stream_seq; seq += 1) {
          expect(delivered.has(seq)).toBe(false);
        }
        // What is not delivered again stays in the stream for good, with nothing left to deliver it.
        const left = await messagesIn("acks", manager);
        expect(left + delivered.size).toBe(1_000);
        // The acks were taken in order, so what stays is exactly what is at or below the restored floor.
        expect(left).toBe(restored.ack_floor.stream_seq);
        for (let seq = 1; seq <= 300; seq += 1) {
          if (!delivered.has(seq)) {
            expect((await manager.streams.getMessage("acks", { seq }))?.seq).toBe(seq);
          }
        }
        console.info(
          `after the kill: ${back} of 1000 messages in the stream (700 before), consumer ack floor ${restored.ack_floor.stream_seq} ` +
            `(300 before), delivered ${restored.delivered.stream_seq}; ${delivered.size} delivered again, ${left} left in the stream for good`,
        );
      } finally {
        await connection.close();
      }
    } finally {
      await own.stop();
    }
  });
});

describe("queue depth", () => {
  it("12. consumer info counts pending, unacknowledged and redelivered messages; the oldest unfinished job is the first message on its subject from the ack floor + 1", async () => {
    await addWorkStream(jsm, "depth", { allow_direct: true });
    const ackWaitMs = 400;
    const consumer = await addConsumer("depth", "q", { ack_wait: nanos(ackWaitMs) });
    // Sequences: 1 other, 2 a, 3 other, 4 b, 5 c, 6 other, 7 d.
    await js.publish("depth.other", "o1");
    const a = await js.publish("depth.q", "a");
    await js.publish("depth.other", "o2");
    const b = await js.publish("depth.q", "b");
    const c = await js.publish("depth.q", "c");
    await js.publish("depth.other", "o3");
    const d = await js.publish("depth.q", "d");
    const oldestAt = async () => {
      const floor = (await jsm.consumers.info("depth", "q")).ack_floor.stream_seq;
      const atFloor = await jsm.streams.getMessage("depth", { seq: floor + 1 });
      const nextOnSubject = await jsm.direct.getMessage("depth", { next_by_subj: "depth.q", seq: floor + 1 });
      return { floor, atFloor: atFloor?.seq, atFloorSubject: atFloor?.subject, nextOnSubject: nextOnSubject?.seq };
    };

    let info = await jsm.consumers.info("depth", "q");
    expect(info).toMatchObject({ num_pending: 4, num_ack_pending: 0, num_redelivered: 0 });
    // Nothing delivered: ack floor 0; seq 1 is another subject's message, the next on the subject is the oldest.
    expect(await oldestAt()).toEqual({ floor: 0, atFloor: 1, atFloorSubject: "depth.other", nextOnSubject: a.seq });

    const first = (await pull(consumer)).msg!;
    const held = (await pull(consumer)).msg!; // b: not acknowledged
    const third = (await pull(consumer)).msg!;
    expect([first.seq, held.seq, third.seq]).toEqual([a.seq, b.seq, c.seq]);
    await first.ackAck();
    await third.ackAck();
    info = await jsm.consumers.info("depth", "q");
    expect(info).toMatchObject({ num_pending: 1, num_ack_pending: 1, num_redelivered: 0 });
    // With a message unacknowledged, 2.9.10 puts the ack floor just below it (past the other subject's seq 3).
    expect(await oldestAt()).toEqual({ floor: b.seq - 1, atFloor: b.seq, atFloorSubject: "depth.q", nextOnSubject: b.seq });
    const oldest = await jsm.streams.getMessage("depth", { seq: b.seq });
    expect(Date.now() - oldest!.time.getTime()).toBeGreaterThanOrEqual(0);

    // The held message's ack wait runs out: the next pull gets it again, counted as redelivered.
    await sleep(ackWaitMs + 200);
    const redelivered = (await pull(consumer)).msg!;
    expect(redelivered.seq).toBe(b.seq);
    expect(redelivered.info.deliveryCount).toBe(2);
    info = await jsm.consumers.info("depth", "q");
    expect(info).toMatchObject({ num_pending: 1, num_ack_pending: 1, num_redelivered: 1 });

    // Everything delivered is acknowledged: the ack floor is the last delivered (c, 5); seq 6 is another
    // subject's; the first message on the subject from there is d, never delivered yet.
    await redelivered.ackAck();
    info = await jsm.consumers.info("depth", "q");
    expect(info).toMatchObject({ num_pending: 1, num_ack_pending: 0 });
    expect(await oldestAt()).toEqual({ floor: c.seq, atFloor: c.seq + 1, atFloorSubject: "depth.other", nextOnSubject: d.seq });
  });
});
