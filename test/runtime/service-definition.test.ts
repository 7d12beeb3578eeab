import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Calc } from "../../example/src/gen/calc/v1/calc_pb.js";
import { Probe, Reserved } from "../gen/testing/v1/probe_pb.js";
import { defaultQueueGroup, defaultSubject, defaultVersion, defineService } from "../../runtime/src/service-definition.js";

// A service with one method of every kind, built from a descriptor: no test proto has streaming methods.
function streamingService(): DescService {
  const file = create(FileDescriptorProtoSchema, {
    name: "streams/v1/streams.proto",
    package: "streams.v1",
    syntax: "proto3",
    messageType: [{ name: "Tick" }],
    service: [
      {
        name: "Streams",
        method: [
          { name: "Once", inputType: ".streams.v1.Tick", outputType: ".streams.v1.Tick" },
          { name: "Watch", inputType: ".streams.v1.Tick", outputType: ".streams.v1.Tick", serverStreaming: true },
          { name: "Upload", inputType: ".streams.v1.Tick", outputType: ".streams.v1.Tick", clientStreaming: true },
          { name: "Chat", inputType: ".streams.v1.Tick", outputType: ".streams.v1.Tick", clientStreaming: true, serverStreaming: true },
          { name: "Twice", inputType: ".streams.v1.Tick", outputType: ".streams.v1.Tick" },
        ],
      },
    ],
  });
  const service = createFileRegistry(file, () => undefined).getService("streams.v1.Streams");
  if (service === undefined) {
    throw new Error("streams.v1.Streams is missing from its registry");
  }
  return service;
}

test("the defaults are queue group q and version 0.0.0", () => {
  expect(defaultQueueGroup).toBe("q");
  expect(defaultVersion).toBe("0.0.0");
});

test("a proto service becomes an ADR-32 service named after it, one endpoint per method", () => {
  const definition = defineService(Calc);
  expect(definition.service).toBe(Calc);
  expect(definition.name).toBe("Calc");
  expect(definition.version).toBe("0.0.0");
  expect(definition.description).toBe("");
  expect(definition.metadata).toEqual({});
  expect(definition.endpoints.map(({ name, subject, queueGroup }) => ({ name, subject, queueGroup }))).toEqual([
    { name: "Average", subject: "calc.v1.Calc.Average", queueGroup: "q" },
    { name: "Sum", subject: "calc.v1.Calc.Sum", queueGroup: "q" },
  ]);
  expect(definition.endpoints[0]?.method).toBe(Calc.method.average);
  expect(definition.endpoints[1]?.method).toBe(Calc.method.sum);
});

test("subjects are <package>.<Service>.<Method> with the proto names as written", () => {
  expect(defaultSubject(Probe.method.echo)).toBe("testing.v1.Probe.Echo");
  expect(defineService(Reserved).endpoints.map((endpoint) => endpoint.subject)).toEqual([
    "testing.v1.Reserved.Delete",
    "testing.v1.Reserved.Function",
    "testing.v1.Reserved.Class",
    "testing.v1.Reserved.Constructor",
    "testing.v1.Reserved.ToString",
  ]);
  // Endpoint names are the proto method names, never the local (JavaScript) names.
  expect(defineService(Reserved).endpoints.map((endpoint) => endpoint.name)).toEqual(["Delete", "Function", "Class", "Constructor", "ToString"]);
});

test("name, version, description and metadata can be set", () => {
  const metadata = { team: "numbers" };
  const definition = defineService(Calc, { name: "calculator", version: "1.2.3-rc.1", description: "Arithmetic", metadata });
  expect(definition).toMatchObject({ name: "calculator", version: "1.2.3-rc.1", description: "Arithmetic", metadata: { team: "numbers" } });
  // The definition keeps its own copy of the metadata.
  metadata.team = "changed";
  expect(definition.metadata).toEqual({ team: "numbers" });
  // The subjects stay those of the proto service.
  expect(definition.endpoints.map((endpoint) => endpoint.subject)).toEqual(["calc.v1.Calc.Average", "calc.v1.Calc.Sum"]);
});

test("the queue group can be changed or switched off", () => {
  expect(defineService(Calc, { queueGroup: "workers" }).endpoints.map((endpoint) => endpoint.queueGroup)).toEqual(["workers", "workers"]);
  expect(defineService(Calc, { queueGroup: false }).endpoints.map((endpoint) => endpoint.queueGroup)).toEqual([undefined, undefined]);
});

test("streaming methods are left out", () => {
  const definition = defineService(streamingService());
  expect(definition.name).toBe("Streams");
  expect(definition.endpoints.map((endpoint) => [endpoint.name, endpoint.subject])).toEqual([
    ["Once", "streams.v1.Streams.Once"],
    ["Twice", "streams.v1.Streams.Twice"],
  ]);
});

describe("a broken rule is an Error naming the service and the rule", () => {
  test.each([
    [{ name: "calc.v1" }, 'service calc.v1.Calc: name "calc.v1" must match [A-Za-z0-9_-]+'],
    [{ name: "" }, 'service calc.v1.Calc: name "" must match [A-Za-z0-9_-]+'],
    [{ version: "1.0" }, 'service calc.v1.Calc: version "1.0" is not a semantic version such as 1.0.0'],
    [{ queueGroup: "a.b" }, 'service calc.v1.Calc: queue group "a.b" must be one token without wildcards or white space'],
    [{ queueGroup: "" }, 'service calc.v1.Calc: queue group "" must be one token without wildcards or white space'],
  ])("%j", (options, message) => {
    expect(() => defineService(Calc, options)).toThrow(new Error(message));
  });

  test("every broken rule is listed", () => {
    expect(() => defineService(Calc, { name: "my calc", version: "v1" })).toThrow(
      'service calc.v1.Calc: name "my calc" must match [A-Za-z0-9_-]+; version "v1" is not a semantic version such as 1.0.0',
    );
  });
});
