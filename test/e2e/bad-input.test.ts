// Bad input, sent by hand past the client: every malformed request gets an invalid_argument error
// reply that says what is wrong, is counted in the stats, and leaves the host serving.
import { create, toBinary } from "@bufbuild/protobuf";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, type ServiceHost } from "nats-micro-runtime";
import { calcHandlers } from "../../example/src/calc-handlers.js";
import { AverageRequestSchema } from "../../example/src/gen/calc/v1/calc_pb.js";
import { CalcClient, serveCalc } from "../../example/src/gen/calc/v1/calc_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { headerRecord, rawRequest } from "../helpers/raw-nats.js";

let server: NatsServer;
let hostConnection: NatsConnection;
let nc: NatsConnection;
let host: ServiceHost;
let calc: CalcClient;

beforeAll(async () => {
  server = await startNatsServer();
  hostConnection = await connect({ servers: server.url });
  nc = await connect({ servers: server.url });
  host = await serveCalc(hostConnection, calcHandlers);
  calc = new CalcClient(nc, { timeoutMs: 2_000 });
});

afterAll(async () => {
  await host.stop();
  await Promise.all([nc.close(), hostConnection.close()]);
  await server.stop();
});

const subject = "calc.v1.Calc.Average";
const json = { "Content-Type": "application/json" };
const encoder = new TextEncoder();
const validBinary = toBinary(AverageRequestSchema, create(AverageRequestSchema, { values: [1, 2, 3] }));

function averageStats() {
  const stats = host.stats().endpoints.find((endpoint) => endpoint.name === "Average");
  if (stats === undefined) {
    throw new Error("no endpoint Average in the stats");
  }
  return stats;
}

/** The host still serves: a well-formed call succeeds. */
async function expectStillServing(): Promise<void> {
  await expect(calc.average({ values: [2, 4] })).resolves.toMatchObject({ operation: "average", result: 3 });
}

test.each<[string, Uint8Array, Record<string, string>, RegExp]>([
  [
    "garbage bytes",
    new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    {},
    /^cannot decode calc\.v1\.AverageRequest from protobuf binary: invalid varint$/,
  ],
  ["text sent as protobuf", encoder.encode("hello, world"), {}, /^cannot decode calc\.v1\.AverageRequest from protobuf binary: .*wire type/],
  ["an illegal wire type", new Uint8Array([0x0f]), {}, /^cannot decode calc\.v1\.AverageRequest from protobuf binary: illegal tag: field no 1 wire type 7$/],
  ["truncated protobuf", validBinary.slice(0, validBinary.length - 3), {}, /^cannot decode calc\.v1\.AverageRequest from protobuf binary: the payload is truncated or malformed \(/],
  ["protobuf cut inside the length prefix", validBinary.slice(0, 1), {}, /^cannot decode calc\.v1\.AverageRequest from protobuf binary: /],
  ["JSON with an unknown field", encoder.encode('{"values":[1],"colour":"red"}'), json, /^cannot decode calc\.v1\.AverageRequest from JSON: .*key "colour" is unknown$/],
  ["JSON with a field of the wrong type", encoder.encode('{"values":"many"}'), json, /^cannot decode calc\.v1\.AverageRequest from JSON: .*values.*expected Array, got "many"$/],
  ["JSON with a list item of the wrong type", encoder.encode('{"values":[1,"x"]}'), json, /^cannot decode calc\.v1\.AverageRequest from JSON: .*values.*expected number/],
  ["invalid JSON", encoder.encode("{values: [1"), json, /^cannot decode calc\.v1\.AverageRequest from JSON: .*JSON at position 1/],
  ["an empty payload declared as JSON", new Uint8Array(0), json, /^cannot decode calc\.v1\.AverageRequest from JSON: .*Unexpected end of JSON input$/],
  ["JSON that is not UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), json, /^cannot decode calc\.v1\.AverageRequest from JSON: .*(UTF-8|encoded data)/i],
  [
    "an unsupported Content-Type",
    validBinary,
    { "Content-Type": "text/plain" },
    /^unsupported Content-Type "text\/plain": use application\/json, or application\/protobuf/,
  ],
  ["a timeout header that is not a number", validBinary, { "Nats-Rpc-Timeout-Ms": "abc" }, /^invalid timeout header "abc": expected whole milliseconds/],
  ["a negative timeout header", validBinary, { "Nats-Rpc-Timeout-Ms": "-5" }, /^invalid timeout header "-5": expected whole milliseconds/],
  ["a fractional timeout header", validBinary, { "Nats-Rpc-Timeout-Ms": "1.5" }, /^invalid timeout header "1\.5"/],
  ["a timeout header of 17 digits", validBinary, { "Nats-Rpc-Timeout-Ms": "12345678901234567" }, /^invalid timeout header "12345678901234567"/],
])("%s: an invalid_argument reply that says so, counted, and the host serves on", async (_case, payload, headers, message) => {
  const before = averageStats();
  const reply = await rawRequest(nc, subject, payload, headers);
  expect(reply.data).toHaveLength(0);
  expect(reply.headers?.get("Nats-Rpc-Code")).toBe(Code.InvalidArgument);
  expect(reply.headers?.get("Nats-Service-Error-Code")).toBe("400");
  expect(reply.headers?.get("Nats-Service-Error")).toMatch(message);
  const after = averageStats();
  expect(after.num_requests).toBe(before.num_requests + 1);
  expect(after.num_errors).toBe(before.num_errors + 1);
  expect(after.last_error).toBe(`invalid_argument: ${reply.headers?.get("Nats-Service-Error")}`);
  await expectStillServing();
});

test("a bad request in JSON is answered with the JSON Content-Type, a bad Content-Type without it", async () => {
  const badJson = await rawRequest(nc, subject, "{", json);
  expect(headerRecord(badJson)["Content-Type"]).toBe("application/json");
  const badType = await rawRequest(nc, subject, validBinary, { "Content-Type": "text/plain" });
  expect(headerRecord(badType)["Content-Type"]).toBeUndefined();
});

test("an empty binary payload is the empty request: the request's validation rule answers invalid_argument", async () => {
  const reply = await rawRequest(nc, subject, new Uint8Array(0));
  expect(reply.headers?.get("Nats-Rpc-Code")).toBe(Code.InvalidArgument);
  expect(reply.headers?.get("Nats-Service-Error")).toBe("invalid request: values: must contain at least 1 item(s)");
  await expectStillServing();
});

test("an empty timeout header counts as none", async () => {
  const reply = await rawRequest(nc, subject, validBinary, { "Nats-Rpc-Timeout-Ms": "" });
  expect(reply.headers).toBeUndefined();
  expect(reply.data.length).toBeGreaterThan(0);
});

test("a request published without a reply subject is served and counted, and breaks nothing", async () => {
  const before = averageStats();
  nc.publish(subject, new Uint8Array([0xff, 0xff]));
  nc.publish(subject, validBinary);
  // The next request's reply leaves the host after both are done with.
  await expectStillServing();
  const after = averageStats();
  expect(after.num_requests).toBe(before.num_requests + 3);
  expect(after.num_errors).toBe(before.num_errors + 1);
});

test("many bad requests at once leave the host serving, every one answered", async () => {
  const replies = await Promise.all(Array.from({ length: 100 }, (_, index) => rawRequest(nc, subject, index % 2 === 0 ? "{" : "nope", json)));
  expect(replies.every((reply) => reply.headers?.get("Nats-Rpc-Code") === Code.InvalidArgument)).toBe(true);
  await expectStillServing();
});
