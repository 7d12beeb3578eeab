// Hostile input, generated: 10,000 requests of random bytes, mutated valid messages, deep
// nesting, huge length prefixes, invalid UTF-8, and wrong, duplicated or absurd headers, sent
// past the client to real hosts. Every request is answered with a valid reply or a clear error
// reply that carries no stack trace or path; the hosts never crash, count every request, and
// serve on.
import { create, fromBinary, fromJsonString, toBinary, type DescMessage } from "@bufbuild/protobuf";
import fc from "fast-check";
import { connect } from "@nats-io/transport-node";
import { headers as createHeaders, type Msg, type NatsConnection } from "@nats-io/nats-core";
import { isCode, type ServiceHost } from "nats-micro-runtime";
import { CountReplySchema } from "../gen/testing/reliability/v1/tally_pb.js";
import { serveTally, TallyClient } from "../gen/testing/reliability/v1/tally_nats.js";
import { TreeSchema, TreeSizeSchema, type Tree } from "../gen/testing/reliability/v1/tree_pb.js";
import { ArborClient, serveArbor } from "../gen/testing/reliability/v1/tree_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { createTallyHandlers } from "../helpers/tally-handlers.js";

const seed = 20_251_123;
const runs = 500;
const batchSize = 20;

let server: NatsServer;
let hostConnection: NatsConnection;
let nc: NatsConnection;
let hosts: ServiceHost[];

beforeAll(async () => {
  server = await startNatsServer();
  hostConnection = await connect({ servers: server.url });
  nc = await connect({ servers: server.url });
  hosts = [
    await serveTally(hostConnection, createTallyHandlers().handlers),
    await serveArbor(hostConnection, { measure: measureTree }),
  ];
});

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.stop()));
  await Promise.all([nc.close(), hostConnection.close()]);
  await server.stop();
});

/** Counts nodes and depth without recursion, so that a deep tree cannot overflow the stack here. */
function measureTree(tree: Tree): { nodes: number; depth: number; labels: string } {
  let nodes = 0;
  let depth = 0;
  const labels: string[] = [];
  const pending: [Tree, number][] = [[tree, 1]];
  while (pending.length > 0) {
    const [node, level] = pending.pop()!;
    nodes += 1;
    depth = Math.max(depth, level);
    if (labels.length < 8) {
      labels.push(node.label);
    }
    for (const child of node.children) {
      pending.push([child, level + 1]);
    }
  }
  return { nodes, depth, labels: labels.join("/").slice(0, 64) };
}

/** The methods the fuzz calls, with the types their replies decode to. */
const targets: { subject: string; output: DescMessage }[] = [
  { subject: "testing.reliability.v1.Arbor.Measure", output: TreeSizeSchema },
  { subject: "testing.reliability.v1.Tally.Get", output: CountReplySchema },
  { subject: "testing.reliability.v1.Tally.Set", output: CountReplySchema },
  { subject: "testing.reliability.v1.Tally.Add", output: CountReplySchema },
];

const utf8 = new TextEncoder();

/** Writes a protobuf varint; `extraBytes` more continuation bytes make an overlong form. */
function varint(value: bigint, extraBytes = 0): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  if (extraBytes > 0) {
    bytes[bytes.length - 1] = bytes.at(-1)! | 0x80;
    for (let index = 1; index < extraBytes; index += 1) {
      bytes.push(0x80);
    }
    bytes.push(0);
  }
  return bytes;
}

/** A Tree nested `depth` levels deep through field 2 (children), in protobuf binary, built from the inside out. */
function deepBinaryTree(depth: number): Uint8Array {
  const sizes: number[] = [];
  // Each level is the tag 0x12, the length of the level inside it, and that level.
  let size = 0;
  for (let level = 0; level < depth; level += 1) {
    sizes.push(size);
    size += 1 + varint(BigInt(size)).length;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (let level = depth - 1; level >= 0; level -= 1) {
    const inner = [0x12, ...varint(BigInt(sizes[level]!))];
    out.set(inner, offset);
    offset += inner.length;
  }
  return out;
}

function deepJsonTree(depth: number): Uint8Array {
  return utf8.encode(`${'{"children":['.repeat(depth)}${"]}".repeat(depth)}`);
}

/** A valid Tree up to three levels deep. */
const treeFields = {
  label: fc.string({ maxLength: 20 }),
  data: fc.uint8Array({ maxLength: 16 }),
  tags: fc.dictionary(fc.string({ maxLength: 5 }), fc.integer({ min: -1000, max: 1000 }), { maxKeys: 3 }),
};
const leafTree = fc.record(treeFields);
const middleTree = fc.record({ ...treeFields, children: fc.array(leafTree, { maxLength: 3 }) });
const validTree = fc.record({ ...treeFields, children: fc.array(middleTree, { maxLength: 3 }) }).map((fields) => create(TreeSchema, fields));

/** Mutations of a valid encoding: flipped, inserted, removed bytes, cuts and repeats. */
const mutatedTree = fc
  .tuple(validTree, fc.array(fc.tuple(fc.constantFrom("flip", "insert", "remove", "cut", "repeat"), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }))
  .map(([tree, mutations]) => {
    let bytes = [...toBinary(TreeSchema, tree)];
    for (const [kind, position, value] of mutations) {
      const at = bytes.length === 0 ? 0 : position % bytes.length;
      if (kind === "flip" && bytes.length > 0) {
        bytes[at] = bytes[at]! ^ (1 << value % 8);
      } else if (kind === "insert") {
        bytes.splice(at, 0, value);
      } else if (kind === "remove") {
        bytes.splice(at, 1);
      } else if (kind === "cut") {
        bytes = bytes.slice(0, at);
      } else if (kind === "repeat") {
        bytes = [...bytes, ...bytes];
      }
    }
    return Uint8Array.from(bytes);
  });

/** A string or bytes field announcing far more bytes than follow. */
const hugeLengthPrefix = fc
  .tuple(fc.constantFrom(0x0a, 0x12, 0x1a, 0x22), fc.bigInt({ min: 1n << 20n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 8 }))
  .map(([tag, length, overlong, tail]) => Uint8Array.from([tag, ...varint(length, overlong), ...tail]));

/** The label (a string field) holding bytes that are not UTF-8. */
const invalidUtf8 = fc
  .array(fc.constantFrom(0xff, 0xfe, 0xc0, 0xc1, 0x80, 0xed, 0xa0, 0xf8, 0xf4, 0x90), { minLength: 1, maxLength: 12 })
  .map((bad) => Uint8Array.from([0x0a, bad.length, ...bad]));

// protobuf-es stops at a depth of 100 in either encoding; far deeper inputs cost the test time
// (a JSON text 30,000 levels deep takes some 70 ms to parse) without reaching other code.
const deepNesting = fc.oneof(
  fc.integer({ min: 1, max: 3_000 }).map(deepBinaryTree),
  fc.integer({ min: 1, max: 3_000 }).map(deepJsonTree),
);

const jsonPayload = fc.oneof(
  fc.json().map((text) => utf8.encode(text)),
  fc.array(fc.constantFrom(0x7b, 0x7d, 0x22, 0xff, 0xc0, 0x5b, 0x5d, 0x3a), { maxLength: 40 }).map((bytes) => Uint8Array.from(bytes)),
);

const payload = fc.oneof(fc.uint8Array({ maxLength: 512 }), mutatedTree, hugeLengthPrefix, invalidUtf8, deepNesting, jsonPayload);

const absurdTimeout = fc.oneof(
  fc.constantFrom("", " ", "0", "1", "-1", "1e3", "0x10", "+5", "5.0", "NaN", "Infinity", "\u0661\u0662\u0663", "９９", "00000000000000001", "9".repeat(40), "2147483648", "9007199254740993"),
  fc.string({ maxLength: 20 }),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
);

const contentType = fc.constantFrom("", "application/json", "application/protobuf", "APPLICATION/JSON; charset=utf-8", "text/plain", "; charset=utf-8", "application/json, application/json", "\u00e9");

/** Header values may hold anything but CR and LF; names, printable ASCII but the colon. */
const headerValue = fc.string({ unit: "binary", maxLength: 40 }).map((value) => value.replace(/[\r\n]/g, " "));
const headerName = fc.string({ unit: fc.integer({ min: 33, max: 126 }).filter((code) => code !== 58).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 20 });

const requestHeaders = fc.record(
  {
    contentTypes: fc.array(contentType, { maxLength: 2 }),
    timeouts: fc.array(absurdTimeout, { maxLength: 2 }),
    lowerCaseNames: fc.boolean(),
    others: fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
  },
  { requiredKeys: ["contentTypes", "timeouts", "lowerCaseNames", "others"] },
);

const hostileRequest = fc.record({ target: fc.nat({ max: targets.length - 1 }), payload, headers: requestHeaders });
type HostileRequest = typeof hostileRequest extends fc.Arbitrary<infer T> ? T : never;

/** Sends one request by hand, headers and all, and resolves with the reply. */
function send(request: HostileRequest): Promise<Msg> {
  const target = targets[request.target]!;
  const headers = createHeaders();
  const name = (canonical: string) => (request.headers.lowerCaseNames ? canonical.toLowerCase() : canonical);
  for (const value of request.headers.contentTypes) {
    headers.append(name("Content-Type"), value);
  }
  for (const value of request.headers.timeouts) {
    headers.append(name("Nats-Rpc-Timeout-Ms"), value);
  }
  for (const [key, value] of request.headers.others) {
    headers.append(key, value);
  }
  return nc.request(target.subject, request.payload, { timeout: 5_000, headers });
}

// What may not leave a host: a stack frame, a source path, a file URL.
const internals = /\bat\s+\S+\s+\(|[\\/][\w.-]+\.(?:ts|js|mjs)\b|file:\/\/|node:internal/;

/** Checks that a reply is a valid reply or a clear error reply; returns the failure, if any. */
function problemWith(request: HostileRequest, reply: Msg): string | undefined {
  const target = targets[request.target]!;
  const status = reply.headers?.get("Nats-Service-Error-Code") ?? "";
  const code = reply.headers?.get("Nats-Rpc-Code") ?? "";
  const message = reply.headers?.get("Nats-Service-Error") ?? "";
  if (status === "" && code === "" && message === "") {
    const replyType = reply.headers?.get("Content-Type") ?? "";
    try {
      if (replyType === "") {
        fromBinary(target.output, reply.data);
      } else {
        fromJsonString(target.output, new TextDecoder().decode(reply.data));
      }
      return undefined;
    } catch (error) {
      return `a success reply that does not decode as ${target.output.typeName}: ${String(error)}`;
    }
  }
  if (!isCode(code) || !/^\d{3}$/.test(status) || message === "") {
    return `an error reply without a valid code, status and message: ${JSON.stringify({ code, status, message })}`;
  }
  if (code !== "invalid_argument") {
    return `an error reply with code ${code} (${message}); hostile input should be invalid_argument`;
  }
  if (internals.test(message) || reply.data.length !== 0) {
    return `an error reply that leaks internals or carries a payload: ${message}`;
  }
  return undefined;
}

test(`${runs * batchSize} hostile requests: each answered validly or with a clear invalid_argument, the hosts count them all and serve on`, async () => {
  const heapBefore = process.memoryUsage().heapUsed;
  let sent = 0;
  const failures: string[] = [];
  await fc.assert(
    fc.asyncProperty(fc.array(hostileRequest, { minLength: batchSize, maxLength: batchSize }), async (batch) => {
      sent += batch.length;
      const replies = await Promise.all(batch.map((request) => send(request).then((reply) => problemWith(request, reply), (error: unknown) => `no reply: ${String(error)}`)));
      const problems = replies.filter((problem): problem is string => problem !== undefined);
      failures.push(...problems.slice(0, 3));
      return problems.length === 0;
    }),
    { seed, numRuns: runs, endOnFailure: true },
  );
  expect(failures).toEqual([]);
  expect(sent).toBe(runs * batchSize);

  // The hosts still serve, and counted every request they were sent.
  await expect(new TallyClient(nc).get({ key: "after" })).resolves.toMatchObject({ key: "after" });
  await expect(new ArborClient(nc).measure({ label: "root", children: [{ label: "leaf" }] })).resolves.toMatchObject({ nodes: 2, depth: 2 });
  const counted = hosts.flatMap((host) => host.stats().endpoints).reduce((sum, endpoint) => sum + endpoint.num_requests, 0);
  expect(counted).toBe(sent + 2);
  const heapGrowthMiB = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  // Generous: the test process holds the fuzz's own data too; a host that kept every request would grow far more.
  expect(heapGrowthMiB).toBeLessThan(256);
  console.info(`fuzz: ${sent} hostile requests answered; heap growth ${heapGrowthMiB.toFixed(1)} MiB`);
  // Ten thousand round trips with generated input: about 20 s on a busy two-core machine.
}, 120_000);
