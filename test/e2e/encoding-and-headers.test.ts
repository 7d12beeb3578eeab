// Encodings and headers: binary by default, JSON on request, the reply in the request's encoding;
// request headers, trace context and reply headers travel between caller and handler; the handler
// sees its subject and the time it has left.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { callUnary, Code, type ServiceHost } from "nats-micro-runtime";
import { calcHandlers } from "../../example/src/calc-handlers.js";
import { CalcResponseSchema, SumRequestSchema } from "../../example/src/gen/calc/v1/calc_pb.js";
import { CalcClient, serveCalc } from "../../example/src/gen/calc/v1/calc_nats.js";
import { EchoResponseSchema, Probe } from "../gen/testing/v1/probe_pb.js";
import { ProbeClient, serveProbe } from "../gen/testing/v1/probe_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { createProbeHandlers } from "../helpers/probe-handlers.js";
import { headerRecord, natsHeaders, rawRequest } from "../helpers/raw-nats.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

let server: NatsServer;
let hostConnection: NatsConnection;
let nc: NatsConnection;
let hosts: ServiceHost[];
let probe: ProbeClient;

beforeAll(async () => {
  server = await startNatsServer();
  hostConnection = await connect({ servers: server.url });
  nc = await connect({ servers: server.url });
  hosts = [await serveProbe(hostConnection, createProbeHandlers().handlers), await serveCalc(hostConnection, calcHandlers)];
  probe = new ProbeClient(nc, { timeoutMs: 3_000 });
});

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.stop()));
  await Promise.all([nc.close(), hostConnection.close()]);
  await server.stop();
});

/** Calls with `onHeader` and returns the reply together with the reply headers it received. */
async function withReplyHeaders<T>(call: (onHeader: (headers: Headers) => void) => Promise<T>): Promise<{ reply: T; headers: Headers }> {
  let received: Headers | undefined;
  const reply = await call((headers) => (received = headers));
  if (received === undefined) {
    throw new Error("onHeader was not called");
  }
  return { reply, headers: received };
}

describe("encoding", () => {
  test("a client with encoding json gets correct replies, sent as JSON", async () => {
    const calc = new CalcClient(nc, { encoding: "json" });
    const { reply, headers } = await withReplyHeaders((onHeader) => calc.average({ values: [1, 2, 4.5] }, { onHeader }));
    expect(reply).toMatchObject({ operation: "average" });
    expect(reply.result).toBeCloseTo(7.5 / 3, 5);
    expect(headers.get("content-type")).toBe("application/json");
    // The handler saw JSON too.
    const echo = await new ProbeClient(nc, { encoding: "json" }).echo({ text: "héllo ✓" });
    expect(echo).toMatchObject({ text: "héllo ✓", encoding: "json" });
    expect(echo.requestHeaders["content-type"]).toBe("application/json");
  });

  test("the encoding of one call overrides the client's", async () => {
    const json = await probe.echo({ text: "a" }, { encoding: "json" });
    expect(json.encoding).toBe("json");
    const binary = await new ProbeClient(nc, { encoding: "json" }).echo({ text: "b" }, { encoding: "binary" });
    expect(binary.encoding).toBe("binary");
  });

  test("binary replies carry no Content-Type", async () => {
    const { reply, headers } = await withReplyHeaders((onHeader) => probe.echo({ text: "plain" }, { onHeader }));
    expect(reply.encoding).toBe("binary");
    expect(headers.has("content-type")).toBe(false);
    expect(reply.requestHeaders["content-type"]).toBeUndefined();
    // On the wire: no headers at all on a binary reply the handler added none to.
    const raw = await rawRequest(nc, "calc.v1.Calc.Sum", toBinary(SumRequestSchema, create(SumRequestSchema, { values: [1, 2] })));
    expect(raw.headers).toBeUndefined();
    expect(fromBinary(CalcResponseSchema, raw.data)).toMatchObject({ operation: "sum", result: 3 });
  });

  test.each(["application/json", "application/json; charset=utf-8", "Application/JSON"])(
    "a raw request with Content-Type %s gets a JSON reply",
    async (contentType) => {
      const reply = await rawRequest(nc, "calc.v1.Calc.Sum", '{"values":[1.5,2]}', { "Content-Type": contentType });
      expect(headerRecord(reply)).toEqual({ "Content-Type": "application/json" });
      expect(JSON.parse(new TextDecoder().decode(reply.data))).toEqual({ operation: "sum", result: 3.5 });
    },
  );

  test.each(["application/protobuf", "application/x-protobuf", "application/proto"])("a raw request with Content-Type %s is binary", async (contentType) => {
    const reply = await rawRequest(nc, "calc.v1.Calc.Sum", toBinary(SumRequestSchema, create(SumRequestSchema, { values: [2, 2] })), { "Content-Type": contentType });
    expect(reply.headers).toBeUndefined();
    expect(fromBinary(CalcResponseSchema, reply.data).result).toBe(4);
  });

  test("JSON field names may be the proto names or the JSON names, and defaults are left out of replies", async () => {
    for (const field of ["reply_headers", "replyHeaders"]) {
      const reply = await rawRequest(nc, "testing.v1.Probe.Echo", `{"text":"","${field}":{"x-a":"1"}}`, { "Content-Type": "application/json" });
      const body = JSON.parse(new TextDecoder().decode(reply.data)) as Record<string, unknown>;
      expect(body).toMatchObject({ encoding: "json", subject: "testing.v1.Probe.Echo" });
      expect(body).not.toHaveProperty("text");
      expect(headerRecord(reply)["x-a"]).toBe("1");
    }
  });

  test("well-known and nested types from another package round-trip in both encodings", async () => {
    for (const encoding of ["binary", "json"] as const) {
      const before = Date.now();
      const now = await probe.now({}, { encoding });
      expect(timestampDate(now).getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect(timestampDate(now).getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
      const inner = await probe.nest({ inner: { value: "first" }, more: [{ value: "second" }] }, { encoding });
      expect(inner.value).toBe("first");
      expect((await probe.nest({ more: [{ value: "second" }] }, { encoding })).value).toBe("second");
    }
    // A Timestamp's JSON form is an RFC 3339 string.
    const raw = await rawRequest(nc, "testing.v1.Probe.Now", "{}", { "Content-Type": "application/json" });
    expect(new TextDecoder().decode(raw.data)).toMatch(/^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"$/);
  });
});

describe("headers", () => {
  test("headers given in CallOptions.headers arrive in context.requestHeader, names in lower case", async () => {
    const reply = await probe.echo(
      { text: "hi" },
      {
        headers: [
          ["X-Tenant", "acme"],
          ["x-multi", "one"],
          ["x-multi", "two"],
        ],
      },
    );
    expect(reply.requestHeaders).toMatchObject({ "x-tenant": "acme", "x-multi": "one, two" });
    // The protocol's own header is there too: the handler sees every header of the request.
    expect(reply.requestHeaders["nats-rpc-timeout-ms"]).toBe("3000");
  });

  test("W3C traceparent and tracestate pass through to the handler untouched", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const tracestate = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
    const reply = await probe.echo({ text: "traced" }, { headers: { traceparent, tracestate } });
    expect(reply.requestHeaders.traceparent).toBe(traceparent);
    expect(reply.requestHeaders.tracestate).toBe(tracestate);
  });

  test("reply headers set by the handler reach CallOptions.onHeader", async () => {
    const { reply, headers } = await withReplyHeaders((onHeader) =>
      probe.echo({ text: "with headers", replyHeaders: { "x-served-by": "probe-1", "X-Cache": "miss" } }, { onHeader }),
    );
    expect(reply.text).toBe("with headers");
    expect(headers.get("x-served-by")).toBe("probe-1");
    expect(headers.get("x-cache")).toBe("miss");
    // Setting headers does not make a binary reply JSON, nor an error.
    expect(headers.has("content-type")).toBe(false);
    expect(headers.has("nats-rpc-code")).toBe(false);
  });

  test("reply headers and Content-Type both arrive on a JSON reply", async () => {
    const { headers } = await withReplyHeaders((onHeader) => probe.echo({ replyHeaders: { "x-served-by": "probe-1" } }, { onHeader, encoding: "json" }));
    expect(headers.get("x-served-by")).toBe("probe-1");
    expect(headers.get("content-type")).toBe("application/json");
  });

  test("request header values beyond Latin-1 reach the handler as their UTF-8 bytes, and break nothing", async () => {
    const reply = await rawRequest(nc, "testing.v1.Probe.Echo", new Uint8Array(0), { "x-name": "José ✓", "x-latin": "café" });
    const echo = fromBinary(EchoResponseSchema, reply.data);
    // As fetch shows such HTTP header values: one character per byte of UTF-8.
    expect(echo.requestHeaders["x-name"]).toBe(Buffer.from("José ✓").toString("latin1"));
    expect(Buffer.from(echo.requestHeaders["x-name"]!, "latin1").toString()).toBe("José ✓");
    // Values within Latin-1 are kept as they are.
    expect(echo.requestHeaders["x-latin"]).toBe("café");
  });

  test("a request header whose name is no HTTP token is left out of context.requestHeader, and breaks nothing", async () => {
    // NATS allows names such as "x/path"; WHATWG Headers do not.
    const reply = await rawRequest(nc, "testing.v1.Probe.Echo", new Uint8Array(0), { "x/path": "1", "x-ok": "2" });
    expect(reply.headers?.get("Nats-Rpc-Code") ?? "").toBe("");
    expect(fromBinary(EchoResponseSchema, reply.data).requestHeaders).toEqual({ "x-ok": "2" });
  });

  test("reply headers from another service that Headers cannot hold do not break the client", async () => {
    const bare = nc.subscribe("bare.Echo", {
      callback: (error, msg) => {
        if (error === null) {
          const payload = toBinary(EchoResponseSchema, create(EchoResponseSchema, { text: "from elsewhere" }));
          msg.respond(payload, { headers: natsHeaders({ "x-note": "✓ done", "x/odd": "1" }) });
        }
      },
    });
    try {
      await nc.flush();
      const { reply, headers } = await withReplyHeaders((onHeader) => callUnary(nc, Probe.method.echo, "bare.Echo", {}, { timeoutMs: 2_000, encoding: "binary", onHeader }));
      expect(reply.text).toBe("from elsewhere");
      expect(headers.get("x-note")).toBe(Buffer.from("✓ done").toString("latin1"));
      expect([...headers.keys()]).toEqual(["x-note"]);
    } finally {
      bare.unsubscribe();
    }
  });

  test("protocol headers a caller passes in another case do not override the call's own", async () => {
    const { reply, headers } = await withReplyHeaders((onHeader) =>
      probe.echo({ text: "x" }, { timeoutMs: 2_000, headers: { "content-type": "text/plain", "nats-rpc-timeout-ms": "abc" }, onHeader }),
    );
    expect(reply.encoding).toBe("binary");
    expect(reply.requestHeaders["content-type"]).toBeUndefined();
    expect(reply.requestHeaders["nats-rpc-timeout-ms"]).toBe("2000");
    expect(headers.get("content-type")).toBeNull();
  });

  test("a Content-Type a handler sets does not change the reply's encoding", async () => {
    const { reply, headers } = await withReplyHeaders((onHeader) =>
      probe.echo({ text: "x", replyHeaders: { "content-type": "application/json" } }, { onHeader }),
    );
    expect(reply.text).toBe("x");
    expect(headers.get("content-type")).toBeNull();
  });

  test("onHeader receives the headers of an error reply too", async () => {
    let received: Headers | undefined;
    const error = await rpcRejection(probe.fail({ code: Code.NotFound, message: "gone" }, { onHeader: (headers) => (received = headers) }));
    expect(error.code).toBe(Code.NotFound);
    expect(received?.get("nats-rpc-code")).toBe("not_found");
    expect(received?.get("nats-service-error")).toBe("gone");
  });
});

describe("handler context", () => {
  test("context.subject is the subject the request arrived on", async () => {
    expect((await probe.echo({})).subject).toBe("testing.v1.Probe.Echo");
  });

  test("context.timeoutMs() is the time the caller has left", async () => {
    const reply = await probe.echo({}, { timeoutMs: 2_500 });
    expect(reply.timeoutMs).toBeDefined();
    expect(Number(reply.timeoutMs)).toBeLessThanOrEqual(2_500);
    expect(Number(reply.timeoutMs)).toBeGreaterThan(1_500);
  });

  test("context.timeoutMs() is undefined when the caller sets no deadline", async () => {
    const reply = await rawRequest(nc, "testing.v1.Probe.Echo", new Uint8Array(0));
    const echo = fromBinary(EchoResponseSchema, reply.data);
    expect(echo.timeoutMs).toBeUndefined();
    expect(echo.requestHeaders).toEqual({});
    expect(echo.encoding).toBe("binary");
  });
});
