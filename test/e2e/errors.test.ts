// Errors: a handler's error reaches the caller with its code and message, on the typed client and
// on the wire (ADR-32 headers plus the exact code), without leaking the host's internals, and is
// counted in the endpoint's stats.
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { callUnary, Code, httpStatusFromCode, internalErrorMessage, type ServiceHost, type StatsResponse } from "nats-micro-runtime";
import { FailRequestSchema, Probe } from "../gen/testing/v1/probe_pb.js";
import { ProbeClient, serveProbe } from "../gen/testing/v1/probe_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { createProbeHandlers } from "../helpers/probe-handlers.js";
import { headerRecord, natsHeaders, openInbox, rawRequest } from "../helpers/raw-nats.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

let server: NatsServer;
let hostConnection: NatsConnection;
let nc: NatsConnection;
let host: ServiceHost;
let probe: ProbeClient;

beforeAll(async () => {
  server = await startNatsServer();
  hostConnection = await connect({ servers: server.url });
  nc = await connect({ servers: server.url });
  host = await serveProbe(hostConnection, createProbeHandlers().handlers);
  probe = new ProbeClient(nc, { timeoutMs: 2_000 });
});

afterAll(async () => {
  await host.stop();
  await Promise.all([nc.close(), hostConnection.close()]);
  await server.stop();
});

function failStats(stats: StatsResponse): StatsResponse["endpoints"][number] {
  const endpoint = stats.endpoints.find((candidate) => candidate.name === "Fail");
  if (endpoint === undefined) {
    throw new Error("no endpoint Fail in the stats");
  }
  return endpoint;
}

const allCodes = Object.values(Code);

/** A Fail request in protobuf binary, for requests made by hand. */
function failRequest(init: MessageInitShape<typeof FailRequestSchema>): Uint8Array {
  return toBinary(FailRequestSchema, create(FailRequestSchema, init));
}

test("the code set is the one the tests walk through", () => {
  expect(allCodes).toHaveLength(16);
});

test.each(allCodes)("a handler's RpcError with code %s reaches the client with that code and message", async (code) => {
  const message = `failed on purpose with ${code}`;
  const error = await rpcRejection(probe.fail({ code, message }));
  expect(error.code).toBe(code);
  expect(error.rawMessage).toBe(message);
  expect(error.message).toBe(`[${code}] ${message}`);
  // The error reply's headers are there for whoever wants more than the code.
  expect(error.metadata.get("nats-service-error-code")).toBe(String(httpStatusFromCode(code)));
});

test.each(allCodes)("the error reply for %s carries the ADR-32 headers and the exact code", async (code) => {
  const message = `wire check of ${code}`;
  const reply = await rawRequest(nc, "testing.v1.Probe.Fail", failRequest({ code, message }));
  expect(reply.data).toHaveLength(0);
  expect(reply.headers?.get("Nats-Service-Error")).toBe(message);
  expect(reply.headers?.get("Nats-Service-Error-Code")).toBe(String(httpStatusFromCode(code)));
  expect(reply.headers?.get("Nats-Rpc-Code")).toBe(code);
  // Binary error replies carry no payload, so no Content-Type either.
  expect(reply.headers?.has("Content-Type")).toBe(false);
});

test("the numeric statuses are the HTTP-style ones of the wire contract", () => {
  expect(Object.fromEntries(allCodes.map((code) => [code, httpStatusFromCode(code)]))).toEqual({
    canceled: 499,
    unknown: 500,
    invalid_argument: 400,
    deadline_exceeded: 504,
    not_found: 404,
    already_exists: 409,
    permission_denied: 403,
    resource_exhausted: 429,
    failed_precondition: 400,
    aborted: 409,
    out_of_range: 400,
    unimplemented: 501,
    internal: 500,
    unavailable: 503,
    data_loss: 500,
    unauthenticated: 401,
  });
});

test("a plain Error answers internal without its message or stack; the message stays in the host's stats", async () => {
  const message = "ENOENT: no such file or directory, open '/srv/probe/config.json'";
  const error = await rpcRejection(probe.fail({ message, plainError: true }));
  expect(error.code).toBe(Code.Internal);
  expect(error.rawMessage).toBe(internalErrorMessage);

  const reply = await rawRequest(nc, "testing.v1.Probe.Fail", failRequest({ message, plainError: true }));
  expect(headerRecord(reply)).toEqual({
    "Nats-Service-Error": "internal error",
    "Nats-Service-Error-Code": "500",
    "Nats-Rpc-Code": "internal",
  });
  expect(new TextDecoder().decode(reply.data)).toBe("");
  expect(failStats(host.stats()).last_error).toBe(`internal: ${message}`);
});

test("a host that exposes internal errors sends a plain Error's message, and still no stack trace", async () => {
  const exposing = await serveProbe(hostConnection, createProbeHandlers().handlers, { name: "ExposingProbe", exposeInternalErrors: true, queueGroup: "exposing" });
  try {
    // Both hosts listen on the Probe subjects in different queue groups: both answer, the first reply wins.
    const message = "the disk is on fire";
    const inbox = openInbox(nc);
    await nc.flush();
    inbox.publish("testing.v1.Probe.Fail", failRequest({ message, plainError: true }));
    const replies = await inbox.waitForCount(2);
    inbox.unsubscribe();
    const texts = replies.map((reply) => headerRecord(reply)["Nats-Service-Error"]).sort();
    expect(texts).toEqual(["internal error", message]);
    for (const reply of replies) {
      for (const value of Object.values(headerRecord(reply))) {
        expect(value).not.toMatch(/\bat\s/);
        expect(value).not.toMatch(/[\\/][\w.-]+\.(?:ts|js)\b|file:|node:internal|:\d+:\d+/);
      }
    }
  } finally {
    await exposing.stop();
  }
});

test("a message of several lines arrives on one header line", async () => {
  const error = await rpcRejection(probe.fail({ code: Code.FailedPrecondition, message: "first line\r\nsecond line\nthird" }));
  expect(error.code).toBe(Code.FailedPrecondition);
  expect(error.rawMessage).toBe("first line second line third");
});

test("a message with non-ASCII text arrives intact", async () => {
  const message = "Größe ungültig: ≠ 42 — 値が無効です ✓";
  const error = await rpcRejection(probe.fail({ code: Code.OutOfRange, message }));
  expect(error.rawMessage).toBe(message);
  expect(host.stats().endpoints.find((endpoint) => endpoint.name === "Fail")?.last_error).toBe(`out_of_range: ${message}`);
});

test("errors are counted in the stats, with the last one described", async () => {
  const before = failStats(host.stats());
  await rpcRejection(probe.fail({ code: Code.NotFound, message: "no such thing" }));
  const after = failStats(host.stats());
  expect(after.num_requests).toBe(before.num_requests + 1);
  expect(after.num_errors).toBe(before.num_errors + 1);
  expect(after.last_error).toBe("not_found: no such thing");

  // $SRV.STATS reports the same.
  const overWire = failStats((await nc.request(`$SRV.STATS.Probe.${host.id}`, undefined, { timeout: 2_000 })).json<StatsResponse>());
  expect(overWire.num_errors).toBe(after.num_errors);
  expect(overWire.last_error).toBe("not_found: no such thing");
  // Successful calls elsewhere leave the error counts alone.
  await probe.echo({ text: "fine" });
  const echo = host.stats().endpoints.find((candidate) => candidate.name === "Echo");
  expect(echo).toMatchObject({ num_errors: 0, last_error: "" });
});

test.each([
  ["404", Code.NotFound],
  ["408", Code.DeadlineExceeded],
  ["503", Code.Unavailable],
  ["418", Code.Unknown],
])("a bare ADR-32 error reply with status %s (a micro service of another framework) maps to %s", async (status, code) => {
  // Answers as the Go or Java micro libraries do: message and numeric status, no exact code.
  const bare = nc.subscribe("bare.Now", {
    callback: (error, msg) => {
      if (error === null) {
        msg.respond(new Uint8Array(0), { headers: natsHeaders({ "Nats-Service-Error": "no such record", "Nats-Service-Error-Code": status }) });
      }
    },
  });
  try {
    await nc.flush();
    const error = await rpcRejection(callUnary(nc, Probe.method.now, "bare.Now", {}, { timeoutMs: 2_000, encoding: "binary" }));
    expect(error.code).toBe(code);
    expect(error.rawMessage).toBe("no such record");
  } finally {
    bare.unsubscribe();
  }
});

test("a reply with only an error message, no status, is an error too", async () => {
  const bare = nc.subscribe("bare.MessageOnly", {
    callback: (error, msg) => {
      if (error === null) {
        msg.respond(new Uint8Array(0), { headers: natsHeaders({ "nats-service-error": "it broke" }) });
      }
    },
  });
  try {
    await nc.flush();
    const error = await rpcRejection(callUnary(nc, Probe.method.now, "bare.MessageOnly", {}, { timeoutMs: 2_000, encoding: "binary" }));
    expect(error.code).toBe(Code.Unknown);
    expect(error.rawMessage).toBe("it broke");
  } finally {
    bare.unsubscribe();
  }
});
