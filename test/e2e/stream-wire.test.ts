// A stream from the wire up (docs/protocol.md, "Streaming"), as an implementation in another
// language sees it: a caller made of plain NATS messages talks to the TypeScript host. It checks
// the frames the host sends (open, messages or packs, blocked while it has no credit, the end with
// the status) and what the host does with a caller that breaks the contract.
import { createInbox, type Msg } from "@nats-io/nats-core";
import { Code } from "nats-micro-runtime";
import { unpackMessages } from "../../runtime/src/protocol/message-pack.js";
import { serveStreams } from "../gen/testing/streams/v1/streams_nats.js";
import { waitUntil } from "../helpers/nats-cluster.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";
import { headerRecord, natsHeaders } from "../helpers/raw-nats.js";
import { createStreamsHandlers } from "../helpers/streams-handlers.js";

const nats = useNatsFixture({ hostConnections: 1 });

async function serve(options: Parameters<typeof serveStreams>[2] = {}) {
  nats.hosts.push(await serveStreams(nats.hostConnections[0]!, createStreamsHandlers().handlers, options));
}

/** The caller's side by hand: an inbox whose frames are kept, each with the part of its subject after the inbox. */
async function rawCaller() {
  const inbox = createInbox();
  const frames: { rest: string; msg: Msg }[] = [];
  nats.nc.subscribe(`${inbox}.>`, {
    callback: (_error, msg) => {
      frames.push({ rest: msg.subject.slice(inbox.length + 1), msg });
    },
  });
  await nats.nc.flush();
  const setup = (method: string, payload: string, headers: Record<string, string>) =>
    nats.nc.publish(`testing.streams.v1.Streams.${method}`, new TextEncoder().encode(payload), { reply: inbox, headers: natsHeaders(headers) });
  const frameWhere = async (what: string, matches: (rest: string) => boolean) => {
    await waitUntil(what, () => frames.some((frame) => matches(frame.rest)), 5_000);
    return frames.find((frame) => matches(frame.rest))!;
  };
  return { frames, setup, frameWhere };
}

// The JSON messages that message and pack frames carry, in order.
function messagesOf(frames: readonly { rest: string; msg: Msg }[]): unknown[] {
  return frames.flatMap(({ rest, msg }) => {
    const payloads = rest.startsWith("m.") ? [msg.data] : rest.startsWith("p.") ? unpackMessages(msg.data) : [];
    return payloads.map((payload) => JSON.parse(new TextDecoder().decode(payload)) as unknown);
  });
}

test("the host opens with its inbox, sends up to the credit, says it is blocked, goes on when granted, and ends with success", async () => {
  await serve();
  const caller = await rawCaller();
  // A heartbeat long enough that the caller, which sends none, is not taken for gone while the test waits.
  caller.setup("Count", '{"count": 5}', { "Nats-Rpc-Stream": "1", "Nats-Rpc-Credit": "2", "Nats-Rpc-Heartbeat-Ms": "1000", "Content-Type": "application/json" });
  const open = await caller.frameWhere("the open", (rest) => rest === "o");
  expect(open.msg.reply).toMatch(/^_INBOX\./);
  expect(headerRecord(open.msg)).toMatchObject({ "Nats-Rpc-Credit": "0", "Nats-Rpc-Heartbeat-Ms": "1000" });
  // Two messages, then blocked at 2 (again with each heartbeat while no credit comes).
  await caller.frameWhere("the host to say it is blocked", (rest) => rest === "b.2");
  await waitUntil("a second blocked frame, as the heartbeat", () => caller.frames.filter((frame) => frame.rest === "b.2").length >= 2, 3_000);
  expect(messagesOf(caller.frames)).toEqual([{ n: 1 }, { n: 2 }]);
  // A credit, absolute: the host may send up to message 10.
  nats.nc.publish(`${open.msg.reply!}.c.10`);
  const end = await caller.frameWhere("the end", (rest) => rest.startsWith("e."));
  expect(end.rest).toBe("e.5");
  expect(headerRecord(end.msg)).toEqual({ "Trailer-x-sent": "5" });
  expect(messagesOf(caller.frames)).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
  // The response headers came with the first message.
  const first = caller.frames.find((frame) => frame.rest === "m.1" || frame.rest === "p.1")!;
  expect(headerRecord(first.msg)).toEqual({ "x-count": "5" });
});

test("a setup the host cannot take gets an end without an open, with the error", async () => {
  await serve();
  const caller = await rawCaller();
  caller.setup("Count", "{}", { "Nats-Rpc-Stream": "1", "Nats-Rpc-Credit": "0", "Content-Type": "application/json" });
  const end = await caller.frameWhere("the end", (rest) => rest.startsWith("e."));
  expect(end.rest).toBe("e.0");
  expect(headerRecord(end.msg)).toMatchObject({ "Nats-Rpc-Code": Code.InvalidArgument, "Nats-Service-Error-Code": "400" });
  expect(caller.frames.some((frame) => frame.rest === "o")).toBe(false);
});

// Echo takes the caller's messages only as it can send their echoes, for which the caller grants
// 4; with a window of 4 the host grants a few more, so that 65 messages go beyond its credit
// however fast it reads.
test.each([
  ["a gap in the caller's messages", ["m.1", "m.3"], Code.DataLoss, /message 3 of the stream arrived after message 1: messages were lost/],
  ["a message beyond the credit granted", Array.from({ length: 65 }, (_, index) => `m.${index + 1}`), Code.ResourceExhausted, /the peer sent message \d+ with credit up to \d+ only/],
])("%s ends the stream with its error", async (_what, sent, code, message) => {
  await serve({ streamWindow: 4 });
  const caller = await rawCaller();
  // The default heartbeat: the caller, which sends none, must not be taken for gone first.
  caller.setup("Echo", "", { "Nats-Rpc-Stream": "1", "Nats-Rpc-Credit": "4", "Content-Type": "application/json" });
  const open = await caller.frameWhere("the open", (rest) => rest === "o");
  expect(headerRecord(open.msg)["Nats-Rpc-Credit"]).toBe("4");
  for (const frame of sent) {
    nats.nc.publish(`${open.msg.reply!}.${frame}`, new TextEncoder().encode('{"n": 1}'));
  }
  const end = await caller.frameWhere("the end", (rest) => rest.startsWith("e."));
  expect(headerRecord(end.msg)["Nats-Rpc-Code"]).toBe(code);
  expect(headerRecord(end.msg)["Nats-Service-Error"]).toMatch(message);
});

test("a caller that goes silent is taken for gone after three heartbeats", async () => {
  await serve();
  const caller = await rawCaller();
  caller.setup("Sum", "", { "Nats-Rpc-Stream": "1", "Nats-Rpc-Credit": "4", "Nats-Rpc-Heartbeat-Ms": "100", "Content-Type": "application/json" });
  const open = await caller.frameWhere("the open", (rest) => rest === "o");
  const openedAt = performance.now();
  const end = await caller.frameWhere("the end", (rest) => rest.startsWith("e."));
  expect(performance.now() - openedAt).toBeGreaterThanOrEqual(250);
  expect(headerRecord(end.msg)["Nats-Rpc-Code"]).toBe(Code.Unavailable);
  // The host's own heartbeats came meanwhile: credit frames with its limit.
  expect(caller.frames.filter((frame) => frame.rest === "c.64").length).toBeGreaterThanOrEqual(1);
  expect(open.msg.reply).toBeDefined();
});
