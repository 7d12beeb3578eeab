import { Calc } from "../../example/src/gen/calc/v1/calc_pb.js";
import { Ledger } from "../gen/testing/options/v1/ledger_pb.js";
import { Reserved } from "../gen/testing/v1/probe_pb.js";
import { createEndpointStats } from "../../runtime/src/host/endpoint-stats.js";
import { infoResponse, pingResponse, statsResponse, type InstanceState } from "../../runtime/src/host/micro-discovery.js";
import { checkServiceName, checkVersion } from "../../runtime/src/protocol/naming-rules.js";
import { defineService, type ServiceDefinitionOptions } from "../../runtime/src/service/service-definition.js";

const started = new Date("2024-05-01T12:00:00.000Z");

function instance(options: ServiceDefinitionOptions = {}): InstanceState {
  const definition = defineService(Calc, options);
  return { definition, id: "NUID0000000000000000AB", started, stats: definition.endpoints.map(createEndpointStats) };
}

// What every micro v1 reply has: name, id, version and metadata (a map of strings).
function expectIdentity(reply: { name: string; id: string; version: string; metadata: Record<string, string> }) {
  expect(checkServiceName(reply.name)).toBeUndefined();
  expect(reply.id.length).toBeGreaterThan(0);
  expect(checkVersion(reply.version)).toBeUndefined();
  for (const value of Object.values(reply.metadata)) {
    expect(typeof value).toBe("string");
  }
}

// The reply as a client sees it: the JSON on the wire, read back.
const onTheWire = (reply: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(reply)) as Record<string, unknown>;

test("PING answers the service's identity", () => {
  const reply = pingResponse(instance({ metadata: { team: "numbers" } }));
  expect(onTheWire(reply)).toEqual({
    type: "io.nats.micro.v1.ping_response",
    name: "Calc",
    id: "NUID0000000000000000AB",
    version: "0.0.0",
    metadata: { team: "numbers" },
  });
  expectIdentity(reply);
});

test("INFO lists every endpoint with its subject, queue group and proto types", () => {
  const reply = infoResponse(instance({ name: "calculator", version: "1.4.0", description: "Arithmetic" }));
  expect(onTheWire(reply)).toEqual({
    type: "io.nats.micro.v1.info_response",
    name: "calculator",
    id: "NUID0000000000000000AB",
    version: "1.4.0",
    metadata: {},
    description: "Arithmetic",
    endpoints: [
      {
        name: "Average",
        subject: "calc.v1.Calc.Average",
        queue_group: "q",
        metadata: { "proto.request_type": "calc.v1.AverageRequest", "proto.response_type": "calc.v1.CalcResponse" },
      },
      {
        name: "Sum",
        subject: "calc.v1.Calc.Sum",
        queue_group: "q",
        metadata: { "proto.request_type": "calc.v1.SumRequest", "proto.response_type": "calc.v1.CalcResponse" },
      },
    ],
  });
  expectIdentity(reply);
});

test("INFO carries the proto options: service metadata, endpoint metadata, subjects and queue groups", () => {
  const definition = defineService(Ledger);
  const reply = onTheWire(infoResponse({ definition, id: "NUID0000000000000000AB", started, stats: definition.endpoints.map(createEndpointStats) }));
  expect(reply).toEqual({
    type: "io.nats.micro.v1.info_response",
    name: "ledger",
    id: "NUID0000000000000000AB",
    version: "1.2.0",
    metadata: { team: "finance" },
    description: "Keeps the books.",
    endpoints: [
      {
        name: "Post",
        subject: "books.post",
        queue_group: "ledger-workers",
        metadata: { idempotent: "no", "proto.request_type": "testing.options.v1.PostRequest", "proto.response_type": "testing.options.v1.PostResponse" },
      },
      {
        name: "Balance",
        subject: "finance.balance",
        queue_group: "readers",
        metadata: { "proto.request_type": "google.protobuf.Empty", "proto.response_type": "testing.options.v1.BalanceResponse" },
      },
      // No queue group: the field is left out.
      {
        name: "Audit",
        subject: "books.Audit",
        metadata: { "proto.request_type": "testing.common.v1.Outer", "proto.response_type": "google.protobuf.Timestamp" },
      },
      {
        name: "Wait",
        subject: "books.Wait",
        queue_group: "ledger-workers",
        metadata: { "proto.request_type": "testing.options.v1.WaitRequest", "proto.response_type": "google.protobuf.Empty" },
      },
    ],
  });
  // STATS has no endpoint metadata in micro v1, but the same subjects and queue groups.
  const stats = statsResponse({ definition, id: "x", started, stats: definition.endpoints.map(createEndpointStats) });
  expect(stats.endpoints.map(({ name, subject, queue_group }) => ({ name, subject, queue_group }))).toEqual([
    { name: "Post", subject: "books.post", queue_group: "ledger-workers" },
    { name: "Balance", subject: "finance.balance", queue_group: "readers" },
    { name: "Audit", subject: "books.Audit", queue_group: undefined },
    { name: "Wait", subject: "books.Wait", queue_group: "ledger-workers" },
  ]);
  expect(Object.keys(stats.endpoints[2]!)).not.toContain("queue_group");
});

test("without a queue group, INFO and STATS leave queue_group out", () => {
  const state = instance({ queueGroup: false });
  for (const endpoint of [...infoResponse(state).endpoints, ...statsResponse(state).endpoints]) {
    expect(Object.keys(onTheWire(endpoint))).not.toContain("queue_group");
  }
});

test("endpoint names are ADR-32 names: the proto method names, no dots", () => {
  const definition = defineService(Reserved);
  const reply = infoResponse({ definition, id: "x", started, stats: definition.endpoints.map(createEndpointStats) });
  for (const endpoint of reply.endpoints) {
    expect(endpoint.name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(endpoint.subject).toBe(`testing.v1.Reserved.${endpoint.name}`);
  }
});

test("STATS starts at zero with last_error present and empty", () => {
  const reply = onTheWire(statsResponse(instance()));
  expect(reply).toEqual({
    type: "io.nats.micro.v1.stats_response",
    name: "Calc",
    id: "NUID0000000000000000AB",
    version: "0.0.0",
    metadata: {},
    started: "2024-05-01T12:00:00.000Z",
    endpoints: ["Average", "Sum"].map((name) => ({
      name,
      subject: `calc.v1.Calc.${name}`,
      queue_group: "q",
      num_requests: 0,
      num_errors: 0,
      last_error: "",
      processing_time: 0,
      average_processing_time: 0,
    })),
  });
});

test("STATS reports each endpoint's counters, times in whole nanoseconds", () => {
  const state = instance();
  Object.assign(state.stats[0]!, { numRequests: 3, numErrors: 1, lastError: "invalid_argument: values must not be empty", processingTimeNs: 1_000_000_001 });
  Object.assign(state.stats[1]!, { numRequests: 1, processingTimeNs: 250_000 });
  const [average, sum] = statsResponse(state).endpoints;
  expect(average).toMatchObject({
    name: "Average",
    num_requests: 3,
    num_errors: 1,
    last_error: "invalid_argument: values must not be empty",
    processing_time: 1_000_000_001,
    average_processing_time: 333_333_334,
  });
  expect(sum).toMatchObject({ name: "Sum", num_requests: 1, num_errors: 0, last_error: "", processing_time: 250_000, average_processing_time: 250_000 });
  for (const endpoint of [average!, sum!]) {
    for (const field of ["num_requests", "num_errors", "processing_time", "average_processing_time"] as const) {
      expect(Number.isInteger(endpoint[field])).toBe(true);
    }
  }
});

test("STATS reads the counters when asked, not when the instance started", () => {
  const state = instance();
  expect(statsResponse(state).endpoints[1]?.num_requests).toBe(0);
  state.stats[1]!.numRequests = 5;
  expect(statsResponse(state).endpoints[1]?.num_requests).toBe(5);
});

test("started is an RFC 3339 time in UTC", () => {
  expect(statsResponse(instance()).started).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
});

test("replies do not share the definition's metadata objects", () => {
  const state = instance({ metadata: { a: "1" } });
  pingResponse(state).metadata["a"] = "changed";
  expect(pingResponse(state).metadata).toEqual({ a: "1" });
  expect(infoResponse(state).metadata).toEqual({ a: "1" });
  infoResponse(state).endpoints[0]!.metadata["proto.request_type"] = "changed";
  expect(infoResponse(state).endpoints[0]?.metadata["proto.request_type"]).toBe("calc.v1.AverageRequest");
});
