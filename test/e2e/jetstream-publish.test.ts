// publishToStream (runtime/src/transport/nats/jetstream-publish.ts), which stores a pipeline hop
// without nc.request, on a real nats-server with JetStream: what it answers for a message stored,
// one stored again, a subject no stream takes, a stream other than the one expected, messages
// held to the end of the turn, and compare-and-set on a subject's last sequence (how a job's
// record is written).
import { connect } from "@nats-io/transport-node";
import { headers, NoRespondersError, type NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager, RetentionPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { publishToStream, StreamPublishRefused, wrongLastSequence } from "../../runtime/src/transport/nats/jetstream-publish.js";
import { startNatsProcess, type NatsProcess } from "../helpers/nats-cluster.js";

let server: NatsProcess;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsProcess({ name: "jetstream-publish", jetStream: true });
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "HOPS", subjects: ["hops.>"], retention: RetentionPolicy.Workqueue });
  await jsm.streams.add({ name: "KEYS", subjects: ["keys.>"], max_msgs_per_subject: 1 });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const payload = new TextEncoder().encode("parcel");

test("stores a message with its id and headers, and stores it once when published again", async () => {
  const sent = headers();
  sent.set("X-Tag", "a");
  const first = await publishToStream(nc, "hops.one", payload, sent, { msgID: "r1.1", streamName: "HOPS" });
  expect(first).toEqual({ stream: "HOPS", seq: 1, duplicate: false });
  const again = await publishToStream(nc, "hops.one", payload, headers(), { msgID: "r1.1", streamName: "HOPS" });
  expect(again).toEqual({ stream: "HOPS", seq: 1, duplicate: true });
  const stored = await jsm.streams.getMessage("HOPS", { seq: 1 });
  expect(stored?.header.get("X-Tag")).toBe("a");
  expect(stored?.header.get("Nats-Msg-Id")).toBe("r1.1");
  expect((await jsm.streams.info("HOPS")).state.messages).toBe(1);
});

test("a subject that no stream takes has no responders", async () => {
  await expect(publishToStream(nc, "nowhere.one", payload, headers(), { msgID: "r2.1", streamName: "HOPS", timeoutMs: 2_000 })).rejects.toBeInstanceOf(NoRespondersError);
});

test("a stream other than the one expected refuses the message, with the server's reason", async () => {
  await expect(publishToStream(nc, "hops.two", payload, headers(), { msgID: "r3.1", streamName: "OTHER" })).rejects.toThrow(/hops\.two: JetStream refused the message: expected stream does not match/);
  expect((await jsm.streams.info("HOPS")).state.messages).toBe(1);
});

test("atTurnEnd: messages published in one turn are sent together at its end, stored in the order published", async () => {
  const ids = ["r4.1", "r4.2", "r4.3", "r4.4"];
  const before = (await jsm.streams.info("HOPS")).state.last_seq;
  const sentBefore = nc.stats().outMsgs;
  const acks = ids.map((id) => publishToStream(nc, "hops.four", payload, headers(), { msgID: id, streamName: "HOPS", atTurnEnd: true }));
  // Nothing has gone out yet within this turn.
  expect(nc.stats().outMsgs).toBe(sentBefore);
  const stored = await Promise.all(acks);
  expect(stored.map((ack) => ack.seq)).toEqual(ids.map((_, index) => before + index + 1));
  for (const [index, id] of ids.entries()) {
    const message = await jsm.streams.getMessage("HOPS", { seq: before + index + 1 });
    expect(message?.header.get("Nats-Msg-Id")).toBe(id);
  }
});

test("expectedLastSubjectSequence: stored only over the subject's last message, refused with wrongLastSequence otherwise", async () => {
  const created = await publishToStream(nc, "keys.a", payload, headers(), { streamName: "KEYS", expectedLastSubjectSequence: 0 });
  const refused = await publishToStream(nc, "keys.a", payload, headers(), { streamName: "KEYS", expectedLastSubjectSequence: 0 }).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(StreamPublishRefused);
  expect((refused as StreamPublishRefused).errCode).toBe(wrongLastSequence);
  const stale = await publishToStream(nc, "keys.a", payload, headers(), { streamName: "KEYS", expectedLastSubjectSequence: created.seq + 5 }).catch((error: unknown) => error);
  expect((stale as StreamPublishRefused).errCode).toBe(wrongLastSequence);
  const updated = await publishToStream(nc, "keys.a", payload, headers(), { streamName: "KEYS", expectedLastSubjectSequence: created.seq });
  expect(updated.seq).toBe(created.seq + 1);
  // Without a message id, the same message is stored each time it is published.
  const again = await publishToStream(nc, "keys.a", payload, headers(), { streamName: "KEYS" });
  expect(again).toEqual({ stream: "KEYS", seq: updated.seq + 1, duplicate: false });
  expect((await jsm.streams.getMessage("KEYS", { last_by_subj: "keys.a" }))?.seq).toBe(again.seq);
});
