// JSON with google.protobuf.Any: "@type" names the packed message, which hosts and clients resolve
// with a type registry (the service's file and its imports by default, or the `registry` option).
import { headers as natsHeaders, type Msg } from "@nats-io/nats-core";
import { create, createRegistry, type Registry } from "@bufbuild/protobuf";
import { anyIs, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, RpcError, type HandlerContext, type ServiceHost } from "nats-micro-runtime";
import { file_calc_v1_calc, SumRequestSchema } from "../../example/src/gen/calc/v1/calc_pb.js";
import { RelayClient, serveRelay, type RelayHandlers } from "../gen/testing/envelope/v1/relay_nats.js";
import { file_testing_envelope_v1_relay, NoteSchema, PointSchema, type EchoRequest } from "../gen/testing/envelope/v1/relay_pb.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";

const echoSubject = "testing.envelope.v1.Relay.Echo";

const fixture = useNatsFixture();
const { hosts } = fixture;

/** Echo handlers that unpack the request's Any with `registry` and pack the message again for the reply. */
function echoHandlers(registry: Registry): RelayHandlers & { encodings: string[] } {
  const encodings: string[] = [];
  return {
    encodings,
    echo(request: EchoRequest, context: HandlerContext) {
      encodings.push(context.encoding);
      if (request.content === undefined) {
        throw new RpcError("content is required", Code.InvalidArgument);
      }
      const message = anyUnpack(request.content, registry);
      if (message === undefined) {
        throw new RpcError(`cannot unpack ${request.content.typeUrl}`, Code.InvalidArgument);
      }
      const schema = registry.getMessage(message.$typeName)!;
      return { content: anyPack(schema, message), typeName: schema.typeName };
    },
  };
}

async function serve(handlers: RelayHandlers, registry?: Registry): Promise<ServiceHost> {
  const host = await serveRelay(fixture.nc, handlers, registry === undefined ? {} : { registry });
  hosts.push(host);
  return host;
}

/** Sends a hand-written JSON request, bypassing the client, and resolves with the raw reply. */
function rawJsonRequest(body: string): Promise<Msg> {
  const headers = natsHeaders();
  headers.set("Content-Type", "application/json");
  return fixture.nc.request(echoSubject, new TextEncoder().encode(body), { timeout: 2_000, headers });
}

const relayFile = createRegistry(file_testing_envelope_v1_relay);
const failureOf = (call: Promise<unknown>): Promise<unknown> => call.then(
  () => new Error("the call succeeded"),
  (error: unknown) => error,
);

test("a JSON client and a host: messages of the service's file packed in Any round-trip", async () => {
  const handlers = echoHandlers(relayFile);
  await serve(handlers);
  const relay = new RelayClient(fixture.nc, { encoding: "json", timeoutMs: 2_000 });

  const note = create(NoteSchema, { text: "hello, Any", tags: ["a", "b"] });
  const noteReply = await relay.echo({ content: anyPack(NoteSchema, note) });
  expect(noteReply.typeName).toBe("testing.envelope.v1.Note");
  expect(anyIs(noteReply.content!, NoteSchema)).toBe(true);
  expect(anyUnpack(noteReply.content!, NoteSchema)).toEqual(note);

  const point = create(PointSchema, { x: 1.5, y: -2 });
  const pointReply = await relay.echo({ content: anyPack(PointSchema, point) });
  expect(pointReply.typeName).toBe("testing.envelope.v1.Point");
  expect(anyUnpack(pointReply.content!, relayFile)).toEqual(point);

  // Both went as JSON, and so does the same call in binary, which needs no registry.
  const binary = await relay.echo({ content: anyPack(NoteSchema, note) }, { encoding: "binary" });
  expect(anyUnpack(binary.content!, NoteSchema)).toEqual(note);
  expect(handlers.encodings).toEqual(["json", "json", "binary"]);
});

test("on the wire, the JSON names the packed type in @type, in the request and in the reply", async () => {
  await serve(echoHandlers(relayFile));
  const reply = await rawJsonRequest('{"content": {"@type": "type.googleapis.com/testing.envelope.v1.Note", "text": "raw", "tags": ["x"]}}');
  expect(reply.headers?.get("Content-Type")).toBe("application/json");
  expect(reply.headers?.get("Nats-Rpc-Code") ?? "").toBe("");
  expect(JSON.parse(reply.string())).toEqual({
    content: { "@type": "type.googleapis.com/testing.envelope.v1.Note", text: "raw", tags: ["x"] },
    typeName: "testing.envelope.v1.Note",
  });
});

test("a JSON request naming a type the host does not know gets invalid_argument with a clear message", async () => {
  let calls = 0;
  await serve({
    echo() {
      calls += 1;
      return {};
    },
  });
  const reply = await rawJsonRequest('{"content": {"@type": "type.googleapis.com/testing.envelope.v1.Missing", "text": "?"}}');
  expect(reply.headers?.get("Nats-Rpc-Code")).toBe("invalid_argument");
  expect(reply.headers?.get("Nats-Service-Error-Code")).toBe("400");
  const message = reply.headers?.get("Nats-Service-Error") ?? "";
  expect(message).toMatch(/^cannot decode testing\.envelope\.v1\.EchoRequest from JSON: /);
  expect(message).toContain("type.googleapis.com/testing.envelope.v1.Missing is not in the type registry");
  expect(reply.headers?.get("Content-Type")).toBe("application/json");
  expect(calls).toBe(0);
});

describe("a registry of one's own", () => {
  // calc.v1.SumRequest is in neither the Relay's file nor its imports.
  const withCalc = createRegistry(file_testing_envelope_v1_relay, file_calc_v1_calc);
  const sumRequest = create(SumRequestSchema, { values: [1, 2, 3] });

  test("by default, a host does not know types from other files, and a JSON client cannot send them", async () => {
    await serve(echoHandlers(withCalc));
    const reply = await rawJsonRequest('{"content": {"@type": "type.googleapis.com/calc.v1.SumRequest", "values": [1, 2, 3]}}');
    expect(reply.headers?.get("Nats-Rpc-Code")).toBe("invalid_argument");
    expect(reply.headers?.get("Nats-Service-Error")).toContain("calc.v1.SumRequest");

    const error = await failureOf(new RelayClient(fixture.nc, { encoding: "json" }).echo({ content: anyPack(SumRequestSchema, sumRequest) }));
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.InvalidArgument);
    expect((error as RpcError).rawMessage).toMatch(
      /^cannot encode the request to testing\.envelope\.v1\.Relay\.Echo: .*"type\.googleapis\.com\/calc\.v1\.SumRequest" is not in the type registry/,
    );
  });

  test("with the registry option on host and client, the type round-trips in JSON", async () => {
    const handlers = echoHandlers(withCalc);
    await serve(handlers, withCalc);
    const relay = new RelayClient(fixture.nc, { encoding: "json", registry: withCalc });
    const reply = await relay.echo({ content: anyPack(SumRequestSchema, sumRequest) });
    expect(reply.typeName).toBe("calc.v1.SumRequest");
    expect(anyUnpack(reply.content!, SumRequestSchema)).toEqual(sumRequest);
    expect(handlers.encodings).toEqual(["json"]);

    const raw = await rawJsonRequest('{"content": {"@type": "type.googleapis.com/calc.v1.SumRequest", "values": [4]}}');
    expect(JSON.parse(raw.string())).toEqual({ content: { "@type": "type.googleapis.com/calc.v1.SumRequest", values: [4] }, typeName: "calc.v1.SumRequest" });
  });

  test("a reply holding a type the client's registry lacks is an error of the reply, not a crash", async () => {
    // The client sends a Note (which it knows) and the host answers with a SumRequest (which it does not).
    await serve({
      echo() {
        return { content: anyPack(SumRequestSchema, sumRequest), typeName: "calc.v1.SumRequest" };
      },
    }, withCalc);
    const error = await failureOf(new RelayClient(fixture.nc, { encoding: "json" }).echo({ content: anyPack(NoteSchema, create(NoteSchema, { text: "x" })) }));
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.Internal);
    expect((error as RpcError).rawMessage).toMatch(/^invalid reply from testing\.envelope\.v1\.Relay\.Echo: .*calc\.v1\.SumRequest is not in the type registry/);
    // In binary the same reply needs no registry.
    const binary = await new RelayClient(fixture.nc).echo({ content: anyPack(NoteSchema, create(NoteSchema, { text: "x" })) });
    expect(anyUnpack(binary.content!, SumRequestSchema)).toEqual(sumRequest);
  });
});
