import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Calc } from "../../example/src/gen/calc/v1/calc_pb.js";
import { Cache, Ledger } from "../gen/testing/options/v1/ledger_pb.js";
import { Probe, Reserved } from "../gen/testing/v1/probe_pb.js";
import { serviceWithOptions, type MethodSketch, type ServiceOptionInit } from "../helpers/service-with-options.js";
import { maxTimeoutMs } from "../../runtime/src/protocol/timeout-header.js";
import {
  checkServicesTogether,
  defaultQueueGroup,
  defaultSubject,
  defaultVersion,
  defineService,
  kindMetadataKey,
  requestTypeMetadataKey,
  responseTypeMetadataKey,
  type ServiceDefinition,
} from "../../runtime/src/service/service-definition.js";

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

/** The lines of the Error that `define` throws: one problem each. Fails when nothing is thrown. */
function problemsOf(define: () => unknown): string[] {
  try {
    define();
  } catch (error) {
    if (error instanceof Error) {
      return error.message.split("\n");
    }
    throw error;
  }
  throw new Error("expected an Error listing the problems; nothing was thrown");
}

/** What an endpoint publishes, without its descriptor. */
function published({ endpoints }: ServiceDefinition) {
  return endpoints.map(({ name, subject, queueGroup, timeoutMs, metadata }) => ({ name, subject, queueGroup, timeoutMs, metadata }));
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

test("unary methods are the endpoints, streaming ones the streams, each with its kind in the metadata", () => {
  const definition = defineService(streamingService());
  expect(definition.name).toBe("Streams");
  expect(definition.endpoints.map((endpoint) => [endpoint.name, endpoint.subject, endpoint.metadata[kindMetadataKey]])).toEqual([
    ["Once", "streams.v1.Streams.Once", undefined],
    ["Twice", "streams.v1.Streams.Twice", undefined],
  ]);
  expect(definition.streams.map((endpoint) => [endpoint.name, endpoint.kind, endpoint.subject, endpoint.queueGroup, endpoint.metadata[kindMetadataKey]])).toEqual([
    ["Watch", "server_streaming", "streams.v1.Streams.Watch", defaultQueueGroup, "server_streaming"],
    ["Upload", "client_streaming", "streams.v1.Streams.Upload", defaultQueueGroup, "client_streaming"],
    ["Chat", "bidi_streaming", "streams.v1.Streams.Chat", defaultQueueGroup, "bidi_streaming"],
  ]);
});

test("a streaming method's broken options are reported as a unary method's are, whatever queue group the code gives", () => {
  const service = serviceWithOptions("Feeds", undefined, [
    { name: "Get" },
    { name: "Watch", serverStreaming: true, option: { queueGroup: "a.b", subject: "x y" } },
  ]);
  for (const options of [{}, { queueGroup: "workers" }]) {
    expect(problemsOf(() => defineService(service, options))).toEqual([
      'method opts.v1.Feeds.Watch: subject "opts.v1.Feeds.x y" must not contain white space',
      'method opts.v1.Feeds.Watch: queue group "a.b" must be one token without wildcards or white space',
    ]);
  }
});

test("a streaming method and a unary one on the same subject are reported", () => {
  const definition = defineService(streamingService(), { queueGroup: false });
  expect(definition.streams.every((endpoint) => endpoint.queueGroup === undefined)).toBe(true);
  expect(checkServicesTogether([definition, definition]).map((problem) => problem.message)).toContain(
    'method streams.v1.Streams.Watch: subject "streams.v1.Streams.Watch" is the subject of method streams.v1.Streams.Watch too',
  );
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

  test("every broken rule is listed, one per line", () => {
    expect(problemsOf(() => defineService(Calc, { name: "my calc", version: "v1" }))).toEqual([
      'service calc.v1.Calc: name "my calc" must match [A-Za-z0-9_-]+',
      'service calc.v1.Calc: version "v1" is not a semantic version such as 1.0.0',
    ]);
  });
});

describe("proto options (nats.micro.v1) are read from the descriptor", () => {
  test("Ledger: every service and method option", () => {
    const definition = defineService(Ledger);
    expect(definition.service).toBe(Ledger);
    expect(definition).toMatchObject({ name: "ledger", version: "1.2.0", description: "Keeps the books.", metadata: { team: "finance" } });
    expect(definition.metadata).toEqual({ team: "finance" });
    expect(published(definition)).toEqual([
      {
        name: "Post",
        subject: "books.post",
        queueGroup: "ledger-workers",
        timeoutMs: 500,
        metadata: { idempotent: "no", "proto.request_type": "testing.options.v1.PostRequest", "proto.response_type": "testing.options.v1.PostResponse" },
      },
      {
        name: "Balance",
        subject: "finance.balance",
        queueGroup: "readers",
        timeoutMs: 2_000,
        metadata: { "proto.request_type": "google.protobuf.Empty", "proto.response_type": "testing.options.v1.BalanceResponse" },
      },
      {
        name: "Audit",
        subject: "books.Audit",
        queueGroup: undefined,
        timeoutMs: 2_000,
        metadata: { "proto.request_type": "testing.common.v1.Outer", "proto.response_type": "google.protobuf.Timestamp" },
      },
      {
        name: "Wait",
        subject: "books.Wait",
        queueGroup: "ledger-workers",
        timeoutMs: 2_000,
        metadata: { "proto.request_type": "testing.options.v1.WaitRequest", "proto.response_type": "google.protobuf.Empty" },
      },
    ]);
    expect(definition.endpoints.map((endpoint) => endpoint.method)).toEqual([
      Ledger.method.post,
      Ledger.method.balance,
      Ledger.method.audit,
      Ledger.method.wait,
    ]);
    expect([requestTypeMetadataKey, responseTypeMetadataKey]).toEqual(["proto.request_type", "proto.response_type"]);
  });

  test("Ledger: the description option beats defaults.description, the proto comment generated code passes", () => {
    const definition = defineService(Ledger, { defaults: { description: "Ledger uses every service option, and every method option." } });
    expect(definition.description).toBe("Keeps the books.");
  });

  test("Cache: no_queue_group on the service, and subjects under the default prefix", () => {
    const definition = defineService(Cache);
    expect(definition).toMatchObject({ name: "cache", version: "0.3.1", description: "", metadata: {} });
    expect(published(definition)).toEqual([
      {
        name: "Invalidate",
        subject: "testing.options.v1.Cache.Invalidate",
        queueGroup: undefined,
        timeoutMs: undefined,
        metadata: { "proto.request_type": "testing.options.v1.InvalidateRequest", "proto.response_type": "testing.options.v1.InvalidateResponse" },
      },
    ]);
  });

  test("a service without options keeps the defaults: no timeout, queue group q, no metadata but the types", () => {
    expect(published(defineService(Calc))).toEqual([
      {
        name: "Average",
        subject: "calc.v1.Calc.Average",
        queueGroup: "q",
        timeoutMs: undefined,
        metadata: { "proto.request_type": "calc.v1.AverageRequest", "proto.response_type": "calc.v1.CalcResponse" },
      },
      {
        name: "Sum",
        subject: "calc.v1.Calc.Sum",
        queueGroup: "q",
        timeoutMs: undefined,
        metadata: { "proto.request_type": "calc.v1.SumRequest", "proto.response_type": "calc.v1.CalcResponse" },
      },
    ]);
  });

  test("a method subject is a token under the prefix (the proto package and service by default), or a full subject when it has a dot", () => {
    const service = serviceWithOptions("Shelf", undefined, [
      { name: "Put", option: { subject: "put" } },
      { name: "Get", option: { subject: "shelf.get" } },
      { name: "Drop" },
    ]);
    expect(defineService(service).endpoints.map((endpoint) => endpoint.subject)).toEqual(["opts.v1.Shelf.put", "shelf.get", "opts.v1.Shelf.Drop"]);
  });

  test("a method's queue group or no_queue_group beats the service's", () => {
    const none = serviceWithOptions("Fanout", { noQueueGroup: true }, [{ name: "All" }, { name: "One", option: { queueGroup: "single" } }]);
    expect(defineService(none).endpoints.map((endpoint) => endpoint.queueGroup)).toEqual([undefined, "single"]);
    const grouped = serviceWithOptions("Grouped", { queueGroup: "g" }, [
      { name: "Shared" },
      { name: "Every", option: { noQueueGroup: true } },
      { name: "Other", option: { queueGroup: "h" } },
    ]);
    expect(defineService(grouped).endpoints.map((endpoint) => endpoint.queueGroup)).toEqual(["g", undefined, "h"]);
  });

  test("timeouts are rounded up to whole milliseconds, up to the longest a timer can wait; a method's beats the service's", () => {
    const service = serviceWithOptions("Clock", { timeout: { seconds: 1n, nanos: 500_000 } }, [
      { name: "Inherit" },
      { name: "Tiny", option: { timeout: { nanos: 1 } } },
      { name: "Longer", option: { timeout: { seconds: 3n } } },
      { name: "Longest", option: { timeout: { seconds: 2_147_483n, nanos: 647_000_000 } } },
    ]);
    expect(defineService(service).endpoints.map((endpoint) => endpoint.timeoutMs)).toEqual([1_001, 1, 3_000, maxTimeoutMs]);
  });
});

describe("code options override proto options", () => {
  test("name, version and description", () => {
    const definition = defineService(Ledger, { name: "ledger-canary", version: "1.3.0-rc.1", description: "The canary" });
    expect(definition).toMatchObject({ name: "ledger-canary", version: "1.3.0-rc.1", description: "The canary", metadata: { team: "finance" } });
    // What code cannot set stays as the proto options say.
    expect(published(definition)).toEqual(published(defineService(Ledger)));
  });

  test("a queue group from code replaces every endpoint's, even no_queue_group", () => {
    expect(defineService(Ledger, { queueGroup: "canary" }).endpoints.map((endpoint) => endpoint.queueGroup)).toEqual(["canary", "canary", "canary", "canary"]);
    expect(defineService(Cache, { queueGroup: "cache-workers" }).endpoints.map((endpoint) => endpoint.queueGroup)).toEqual(["cache-workers"]);
  });

  test("queueGroup false switches every endpoint's queue group off", () => {
    expect(defineService(Ledger, { queueGroup: false }).endpoints.map((endpoint) => endpoint.queueGroup)).toEqual([undefined, undefined, undefined, undefined]);
  });

  test("metadata from code is merged over the option's, key by key", () => {
    expect(defineService(Ledger, { metadata: { region: "eu-west" } }).metadata).toEqual({ team: "finance", region: "eu-west" });
    expect(defineService(Ledger, { metadata: { team: "payments" } }).metadata).toEqual({ team: "payments" });
    // Endpoint metadata is the proto's only.
    expect(defineService(Ledger, { metadata: { region: "eu-west" } }).endpoints[0]?.metadata).toEqual(defineService(Ledger).endpoints[0]?.metadata);
  });

  test("code values are checked like proto values", () => {
    expect(problemsOf(() => defineService(Ledger, { name: "ledger v2", version: "2" }))).toEqual([
      'service testing.options.v1.Ledger: name "ledger v2" must match [A-Za-z0-9_-]+',
      'service testing.options.v1.Ledger: version "2" is not a semantic version such as 1.0.0',
    ]);
  });
});

describe("defaults apply only where neither code nor the proto options set a value", () => {
  const defaults = { description: "From the proto comment", version: "2.0.0" };

  test("a service without options takes both", () => {
    expect(defineService(Calc, { defaults })).toMatchObject({ name: "Calc", description: "From the proto comment", version: "2.0.0" });
  });

  test("the proto options beat them: Ledger sets both, Cache only the version", () => {
    expect(defineService(Ledger, { defaults })).toMatchObject({ description: "Keeps the books.", version: "1.2.0" });
    expect(defineService(Cache, { defaults })).toMatchObject({ description: "From the proto comment", version: "0.3.1" });
  });

  test("code beats them", () => {
    expect(defineService(Calc, { defaults, description: "From code", version: "3.0.0" })).toMatchObject({ description: "From code", version: "3.0.0" });
    expect(defineService(Cache, { defaults, description: "From code" }).description).toBe("From code");
  });

  test("a default version is checked too", () => {
    expect(problemsOf(() => defineService(Calc, { defaults: { version: "v2" } }))).toEqual([
      'service calc.v1.Calc: version "v2" is not a semantic version such as 1.0.0',
    ]);
  });
});

describe("invalid option values are rejected, one line per problem naming the service or method", () => {
  const post: MethodSketch[] = [{ name: "Post" }];
  const cases: [string, ServiceOptionInit | undefined, MethodSketch[], string[]][] = [
    ["a name with a space", { name: "my books" }, post, ['service opts.v1.Books: name "my books" must match [A-Za-z0-9_-]+']],
    ["a name with a dot", { name: "books.v1" }, post, ['service opts.v1.Books: name "books.v1" must match [A-Za-z0-9_-]+']],
    ["a version that is not semver", { version: "v1" }, post, ['service opts.v1.Books: version "v1" is not a semantic version such as 1.0.0']],
    ["a version of two numbers", { version: "1.2" }, post, ['service opts.v1.Books: version "1.2" is not a semantic version such as 1.0.0']],
    [
      "a prefix with a wildcard",
      { subjectPrefix: "books.*" },
      post,
      [
        'service opts.v1.Books: subject_prefix: subject "books.*" must not contain wildcards',
        'method opts.v1.Books.Post: subject "books.*.Post" must not contain wildcards',
      ],
    ],
    [
      "a prefix with a full wildcard",
      { subjectPrefix: ">" },
      post,
      [
        'service opts.v1.Books: subject_prefix: subject ">" must not contain wildcards',
        'method opts.v1.Books.Post: subject ">.Post" must not contain wildcards',
      ],
    ],
    [
      "a prefix with a space",
      { subjectPrefix: "my books" },
      post,
      [
        'service opts.v1.Books: subject_prefix: subject "my books" must not contain white space',
        'method opts.v1.Books.Post: subject "my books.Post" must not contain white space',
      ],
    ],
    [
      "a prefix with an empty token",
      { subjectPrefix: "books..v1" },
      post,
      [
        'service opts.v1.Books: subject_prefix: subject "books..v1" has an empty token',
        'method opts.v1.Books.Post: subject "books..v1.Post" has an empty token',
      ],
    ],
    [
      "a prefix ending in a dot",
      { subjectPrefix: "books." },
      post,
      ['service opts.v1.Books: subject_prefix: subject "books." has an empty token', 'method opts.v1.Books.Post: subject "books..Post" has an empty token'],
    ],
    [
      "a subject token with a space",
      { subjectPrefix: "books" },
      [{ name: "Post", option: { subject: "po st" } }],
      ['method opts.v1.Books.Post: subject "books.po st" must not contain white space'],
    ],
    [
      "a subject token that is a wildcard",
      { subjectPrefix: "books" },
      [{ name: "Post", option: { subject: "*" } }],
      ['method opts.v1.Books.Post: subject "books.*" must not contain wildcards'],
    ],
    [
      "a full subject with a wildcard",
      undefined,
      [{ name: "Post", option: { subject: "books.>" } }],
      ['method opts.v1.Books.Post: subject "books.>" must not contain wildcards'],
    ],
    [
      "a full subject with a tab",
      undefined,
      [{ name: "Post", option: { subject: "books.\tpost" } }],
      ['method opts.v1.Books.Post: subject "books.\tpost" must not contain white space'],
    ],
    [
      "a full subject with an empty token",
      undefined,
      [{ name: "Post", option: { subject: "books..post" } }],
      ['method opts.v1.Books.Post: subject "books..post" has an empty token'],
    ],
    [
      "a subject starting with a dot",
      undefined,
      [{ name: "Post", option: { subject: ".post" } }],
      ['method opts.v1.Books.Post: subject ".post" has an empty token'],
    ],
    [
      "a subject ending with a dot",
      undefined,
      [{ name: "Post", option: { subject: "post." } }],
      ['method opts.v1.Books.Post: subject "post." has an empty token'],
    ],
    [
      "two methods on one full subject",
      undefined,
      [
        { name: "Post", option: { subject: "books.entry" } },
        { name: "Enter", option: { subject: "books.entry" } },
      ],
      ['method opts.v1.Books.Enter: subject "books.entry" is the subject of method Post too'],
    ],
    [
      "a subject token that is another method's default subject",
      { subjectPrefix: "books" },
      [{ name: "Post", option: { subject: "Entry" } }, { name: "Entry" }],
      ['method opts.v1.Books.Entry: subject "books.Entry" is the subject of method Post too'],
    ],
    [
      "a full subject that is another method's token under the prefix",
      { subjectPrefix: "books" },
      [
        { name: "Post", option: { subject: "post" } },
        { name: "Add", option: { subject: "books.post" } },
      ],
      ['method opts.v1.Books.Add: subject "books.post" is the subject of method Post too'],
    ],
    ["a zero service timeout", { timeout: {} }, post, ["service opts.v1.Books: timeout must be positive, got 0s 0ns"]],
    ["a negative service timeout", { timeout: { seconds: -1n } }, post, ["service opts.v1.Books: timeout must be positive, got -1s 0ns"]],
    [
      "a zero method timeout",
      undefined,
      [{ name: "Post", option: { timeout: { seconds: 0n } } }],
      ["method opts.v1.Books.Post: timeout must be positive, got 0s 0ns"],
    ],
    [
      "a negative method timeout",
      undefined,
      [{ name: "Post", option: { timeout: { nanos: -1 } } }],
      ["method opts.v1.Books.Post: timeout must be positive, got 0s -1ns"],
    ],
    [
      "a method timeout with negative nanos",
      undefined,
      [{ name: "Post", option: { timeout: { seconds: 1n, nanos: -1 } } }],
      ["method opts.v1.Books.Post: timeout must be positive, got 1s -1ns"],
    ],
    [
      "a method timeout longer than a timer can wait",
      undefined,
      [{ name: "Post", option: { timeout: { seconds: 2_147_484n } } }],
      ["method opts.v1.Books.Post: timeout must be at most 2147483647 ms, got 2147484000 ms"],
    ],
    [
      "queue_group with no_queue_group on the service",
      { queueGroup: "g", noQueueGroup: true },
      post,
      ['service opts.v1.Books: queue_group "g" and no_queue_group contradict each other'],
    ],
    [
      "queue_group with no_queue_group on a method",
      undefined,
      [{ name: "Post", option: { queueGroup: "g", noQueueGroup: true } }],
      ['method opts.v1.Books.Post: queue_group "g" and no_queue_group contradict each other'],
    ],
    [
      "a service queue group with a dot",
      { queueGroup: "a.b" },
      post,
      ['service opts.v1.Books: queue group "a.b" must be one token without wildcards or white space'],
    ],
    [
      "a method queue group that is a wildcard",
      undefined,
      [{ name: "Post", option: { queueGroup: "*" } }],
      ['method opts.v1.Books.Post: queue group "*" must be one token without wildcards or white space'],
    ],
  ];

  test.each(cases)("%s", (_case, serviceOption, methods, expected) => {
    expect(problemsOf(() => defineService(serviceWithOptions("Books", serviceOption, methods)))).toEqual(expected);
  });

  test("every problem of a service is listed, service first, then each method in order", () => {
    const service = serviceWithOptions("Books", { name: "my books", timeout: {} }, [
      { name: "Post", option: { subject: "a b", timeout: { seconds: -2n } } },
      { name: "Audit", option: { queueGroup: "g", noQueueGroup: true } },
    ]);
    expect(problemsOf(() => defineService(service))).toEqual([
      'service opts.v1.Books: name "my books" must match [A-Za-z0-9_-]+',
      "service opts.v1.Books: timeout must be positive, got 0s 0ns",
      'method opts.v1.Books.Post: subject "opts.v1.Books.a b" must not contain white space',
      "method opts.v1.Books.Post: timeout must be positive, got -2s 0ns",
      'method opts.v1.Books.Audit: queue_group "g" and no_queue_group contradict each other',
    ]);
  });

  test("a broken queue group option is reported though code sets the queue group, on a method as on the service", () => {
    const service = serviceWithOptions("Books", { queueGroup: "g", noQueueGroup: true }, [
      { name: "Post", option: { queueGroup: "h", noQueueGroup: true } },
      { name: "Audit", option: { queueGroup: "a.b" } },
    ]);
    const expected = [
      'service opts.v1.Books: queue_group "g" and no_queue_group contradict each other',
      'method opts.v1.Books.Post: queue_group "h" and no_queue_group contradict each other',
      'method opts.v1.Books.Audit: queue group "a.b" must be one token without wildcards or white space',
    ];
    expect(problemsOf(() => defineService(service))).toEqual(expected);
    expect(problemsOf(() => defineService(service, { queueGroup: "canary" }))).toEqual(expected);
    expect(problemsOf(() => defineService(service, { queueGroup: false }))).toEqual(expected);
  });

  test("valid values in the same shapes are accepted", () => {
    const serviceOption = { name: "books_v-1", version: "1.0.0-rc.1+build.5", subjectPrefix: "a.b-c_d", queueGroup: "g-1", timeout: { nanos: 1 } };
    const service = serviceWithOptions("Books", serviceOption, [
      { name: "Post", option: { subject: "post_v-2", queueGroup: "h_2", timeout: { seconds: 1n } } },
      { name: "Audit", option: { subject: "other.subject", noQueueGroup: true } },
    ]);
    const definition = defineService(service);
    expect(definition).toMatchObject({ name: "books_v-1", version: "1.0.0-rc.1+build.5" });
    expect(published(definition).map(({ subject, queueGroup, timeoutMs }) => ({ subject, queueGroup, timeoutMs }))).toEqual([
      { subject: "a.b-c_d.post_v-2", queueGroup: "h_2", timeoutMs: 1_000 },
      { subject: "other.subject", queueGroup: undefined, timeoutMs: 1 },
    ]);
  });
});

describe("checkServicesTogether", () => {
  // Each problem as "<service it is reported on> | <message>".
  const problemsOf = (definitions: ServiceDefinition[]) =>
    checkServicesTogether(definitions).map(({ service, message }) => `${service.typeName} | ${message}`);

  test("Ledger and Cache go together", () => {
    expect(problemsOf([defineService(Ledger), defineService(Cache)])).toEqual([]);
  });

  test("two services with one ADR-32 name", () => {
    expect(problemsOf([defineService(Ledger), defineService(Cache, { name: "ledger" })])).toEqual([
      'testing.options.v1.Cache | service testing.options.v1.Cache: name "ledger" is the name of service testing.options.v1.Ledger too',
    ]);
  });

  test("methods of two services on one subject", () => {
    const journal = serviceWithOptions("Journal", undefined, [
      { name: "Record", option: { subject: "books.post" } },
      { name: "Read", option: { subject: "finance.balance" } },
      { name: "Own", option: { subject: "journal.own" } },
    ]);
    expect(problemsOf([defineService(Ledger), defineService(journal)])).toEqual([
      'opts.v1.Journal | method opts.v1.Journal.Record: subject "books.post" is the subject of method testing.options.v1.Ledger.Post too',
      'opts.v1.Journal | method opts.v1.Journal.Read: subject "finance.balance" is the subject of method testing.options.v1.Ledger.Balance too',
    ]);
  });

  test("the same name and a shared subject are both reported", () => {
    const other = serviceWithOptions("Other", { name: "cache" }, [{ name: "Drop", option: { subject: "testing.options.v1.Cache.Invalidate" } }]);
    expect(problemsOf([defineService(Cache), defineService(other)])).toEqual([
      'opts.v1.Other | service opts.v1.Other: name "cache" is the name of service testing.options.v1.Cache too',
      'opts.v1.Other | method opts.v1.Other.Drop: subject "testing.options.v1.Cache.Invalidate" is the subject of method testing.options.v1.Cache.Invalidate too',
    ]);
  });
});
