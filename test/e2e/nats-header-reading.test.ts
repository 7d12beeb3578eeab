import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { connect } from "@nats-io/transport-node";
import type { Msg, MsgHdrs, MsgHdrsImpl, NatsConnection } from "@nats-io/nats-core";
import fc from "fast-check";
import { createConnection, type Socket } from "node:net";
import { callerRequestHeaders, headerLines, headerLineValue, natsHeader, protocolRequestHeaders, toNatsHeaders, wireSize } from "../../runtime/src/transport/nats/message-headers.js";
import { HeaderName } from "../../runtime/src/protocol/header-name.js";
import { jsonContentType } from "../../runtime/src/protocol/codec.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";

// The host reads a request's headers from the message's bytes (headerLines) instead of through
// msg.headers. These tests hold the two to the same answers, on header blocks written byte by byte
// to a real nats-server, so that a nats.js that changes what those bytes mean fails here.

let server: NatsServer;
let nc: NatsConnection;
let socket: Socket;
const received: Msg[] = [];
const subject = "header.blocks";

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  nc.subscribe(subject, {
    callback: (error, msg) => {
      if (error === null) {
        received.push(msg);
      }
    },
  });
  await nc.flush();
  // A raw client, so that header blocks reach nats.js exactly as written, not as nats.js would write them.
  socket = createConnection({ host: "127.0.0.1", port: server.port });
  await new Promise<void>((resolve, reject) => socket.once("data", () => resolve()).once("error", reject));
  socket.write('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\n');
});

afterAll(async () => {
  socket.destroy();
  await nc.close();
  await server.stop();
});

// Publishes header blocks raw and resolves with the messages nats.js made of them, in order.
async function deliver(blocks: readonly Buffer[]): Promise<Msg[]> {
  received.length = 0;
  for (const block of blocks) {
    const payload = Buffer.from("x");
    socket.write(Buffer.concat([Buffer.from(`HPUB ${subject} ${block.length} ${block.length + payload.length}\r\n`), block, payload, Buffer.from("\r\n")]));
  }
  socket.write("PING\r\n");
  const deadline = Date.now() + 10_000;
  while (received.length < blocks.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(received).toHaveLength(blocks.length);
  return [...received];
}

const lookups = ["Content-Type", "content-type", "CONTENT-TYPE", HeaderName.Timeout, "nats-rpc-timeout-ms", "X-A", "x-a", "Missing"];

// What the host's reading answers for each name, or "refused" where nats.js refuses the block.
function answers(msg: Msg): { viaHeaders: string[] | "refused"; viaLines: string[] | "refused" } {
  let viaHeaders: string[] | "refused";
  try {
    viaHeaders = lookups.map((name) => natsHeader(msg.headers, name));
  } catch {
    viaHeaders = "refused";
  }
  const lines = headerLines(msg);
  return { viaHeaders, viaLines: lines === undefined ? "refused" : lookups.map((name) => headerLineValue(lines, name)) };
}

describe("headerLines reads what msg.headers reads", () => {
  test("on hand-written blocks: cases, repeats, spaces, colons in values, UTF-8, status lines, no headers", async () => {
    const blocks = [
      "NATS/1.0\r\nContent-Type: application/json\r\nNats-Rpc-Timeout-Ms: 250\r\n\r\n",
      "NATS/1.0\r\ncontent-type:application/json\r\nNATS-RPC-TIMEOUT-MS:   17  \r\n\r\n",
      "NATS/1.0\r\nX-A: one\r\nx-a: two\r\nX-A: three\r\n\r\n",
      "NATS/1.0\r\nX-A: a:b:c\r\nContent-Type: \r\n\r\n",
      "NATS/1.0\r\nX-A: grüße ✓\r\n\r\n",
      "NATS/1.0 503\r\n\r\n",
      "NATS/1.0 408 Request Timeout\r\nX-A: late\r\n\r\n",
      "NATS/1.0\r\n\r\n",
      "NATS/1.0\r\nno colon here\r\nX-A: after\r\n\r\n",
    ].map((text) => Buffer.from(text));
    const messages = await deliver(blocks);
    for (const msg of messages) {
      const { viaHeaders, viaLines } = answers(msg);
      expect(viaLines).toEqual(viaHeaders);
    }
    // The reading is not vacuous: values come through.
    expect(answers(messages[0]!).viaLines).toEqual(["application/json", "application/json", "application/json", "250", "250", "", "", ""]);
  });

  test("on generated blocks", async () => {
    const nameChar = fc.constantFrom(..."abcXYZ-_.019!~ \t\u00e9".split(""));
    const valueChar = fc.constantFrom(..."abc XYZ:;=,\t019\u00e9\u2713\"".split(""));
    const line = fc.tuple(fc.oneof(fc.constantFrom("Content-Type", "content-type", "Nats-Rpc-Timeout-Ms", "X-A", "x-a"), fc.string({ unit: nameChar, minLength: 1, maxLength: 8 })), fc.string({ unit: valueChar, maxLength: 12 }));
    const block = fc.tuple(fc.constantFrom("NATS/1.0", "NATS/1.0 503", "NATS/1.0 100 Idle Heartbeat"), fc.array(line, { maxLength: 6 }));
    const samples = fc.sample(block, { numRuns: 300, seed: 7 });
    const messages = await deliver(samples.map(([status, lines]) => Buffer.from(`${status}\r\n${lines.map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`)));
    let read = 0;
    for (const msg of messages) {
      const { viaHeaders, viaLines } = answers(msg);
      expect(viaLines).toEqual(viaHeaders);
      read += viaLines === "refused" ? 0 : 1;
    }
    // Most blocks are read from the bytes; the rest went through msg.headers.
    expect(read).toBeGreaterThan(messages.length / 2);
  });
});

// The bytes nats.js writes for a header block.
const encoded = (headers: MsgHdrs) => Buffer.from((headers as MsgHdrsImpl).encode());

describe("protocolRequestHeaders", () => {
  test.each([["binary", 5_000], ["json", 250], ["binary", 1]] as const)("%s, %d ms: the block and size that the headers would make", (encoding, timeoutMs) => {
    const ready = protocolRequestHeaders(timeoutMs, encoding);
    const expected = new Headers();
    if (encoding === "json") {
      expected.set(HeaderName.ContentType, jsonContentType);
    }
    expected.set(HeaderName.Timeout, String(timeoutMs));
    const built = toNatsHeaders(expected);
    expect(encoded(ready.headers).toString()).toBe(encoded(built).toString());
    expect(ready.size).toBe(wireSize(new Uint8Array(0), expected));
    expect(ready.size).toBe(encoded(ready.headers).length);
  });
});

describe("callerRequestHeaders", () => {
  test.each([["binary", 5_000], ["json", 250]] as const)("%s: the caller's headers as toNatsHeaders writes them, the protocol's in place of the caller's, and the block's exact size", (encoding, timeoutMs) => {
    // Latin-1 in a Headers value is UTF-8 bytes, one character per byte, as toFetchHeaders makes it.
    const utf8AsBytes = Buffer.from("Zoë", "utf8").toString("latin1");
    const caller = new Headers({ "X-Request-Id": "r1", "NATS-RPC-TIMEOUT-MS": "1", "content-type": "text/plain", "Nats-Service-Error-Code": "400", "x-name": utf8AsBytes });
    const made = callerRequestHeaders(caller, timeoutMs, encoding);
    const expected = new Headers(caller);
    expected.set(HeaderName.Timeout, String(timeoutMs));
    if (encoding === "json") {
      expected.set(HeaderName.ContentType, jsonContentType);
    } else {
      expected.delete(HeaderName.ContentType);
    }
    const lines = (headers: MsgHdrs) => encoded(headers).toString().split("\r\n").filter((line) => line.includes(":")).sort();
    expect(lines(made.headers)).toEqual(lines(toNatsHeaders(expected)));
    expect(natsHeader(made.headers, "x-name")).toBe("Zoë");
    expect(made.size).toBe(encoded(made.headers).length);
  });
});
