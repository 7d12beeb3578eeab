// Proto options (nats.micro.v1) on the wire: the Ledger and Cache services of
// proto/testing/options/v1/ledger.proto use every option, and each one is observed here on a real
// nats-server: subjects, queue groups or none, timeouts at the host and in the client's header,
// name, version, description and metadata in $SRV discovery.
import { performance } from "node:perf_hooks";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { connect } from "@nats-io/transport-node";
import { NoRespondersError, RequestError, type Msg, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { Code, createClient, createHost, HeaderName, RpcError, type InfoResponse, type PingResponse, type ServiceHost, type StatsResponse } from "nats-micro-runtime";
import { OuterSchema } from "../gen/testing/common/v1/common_pb.js";
import {
  BalanceResponseSchema,
  InvalidateRequestSchema,
  InvalidateResponseSchema,
  PostRequestSchema,
  PostResponseSchema,
  WaitRequestSchema,
} from "../gen/testing/options/v1/ledger_pb.js";
import { CacheClient, LedgerClient, serveCache, serveLedger, type CacheHandlers, type LedgerHandlers } from "../gen/testing/options/v1/ledger_nats.js";
import { loadAdr32Validators, validDiscoveryReply, type Adr32Validators, type Verb } from "../helpers/adr32-schemas.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { openInbox, rawRequest } from "../helpers/raw-nats.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";
import { createChangeWaiter } from "../helpers/change-waiter.js";
import { recordedSleep } from "../helpers/probe-handlers.js";
import { serviceWithOptions } from "../helpers/service-with-options.js";

let server: NatsServer;
// Each instance has a connection of its own, as separate processes would.
let hostConnections: [NatsConnection, NatsConnection];
let nc: NatsConnection;
let validators: Adr32Validators;

beforeAll(async () => {
  validators = await loadAdr32Validators();
  server = await startNatsServer();
  hostConnections = [await connect({ servers: server.url }), await connect({ servers: server.url })];
  nc = await connect({ servers: server.url });
});

afterAll(async () => {
  await Promise.all([nc, ...hostConnections].map((connection) => connection.close()));
  await server.stop();
});

// Lets tests wait for what the handlers record.
const { changed, waitFor } = createChangeWaiter();
// Ends every Wait still sleeping, so that no timer outlives a test.
const releases = new Set<() => void>();


/** One call of Wait, as the handler lived it. Times are `performance.now()` milliseconds. */
interface WaitRecord {
  readonly millis: number;
  readonly startedAt: number;
  /** What `context.timeoutMs()` said when the handler started. */
  readonly timeoutMs: number | undefined;
  abortedAt: number | undefined;
  abortReason: unknown;
  endedAt: number | undefined;
}

/** What one Ledger instance's handlers have seen. */
interface LedgerInstance {
  readonly calls: { post: number; balance: number; audit: number; wait: number };
  /** What `context.timeoutMs()` said in each Post call. */
  readonly postTimeouts: (number | undefined)[];
  readonly waits: WaitRecord[];
}

/**
 * Handlers of Ledger that count their calls: Post returns the posted cents as the balance,
 * Balance returns 1000 cents, Audit returns the instance's number as seconds (so that a reply
 * tells which instance sent it), Wait sleeps `millis` unless its signal aborts first.
 */
function ledgerHandlers(instanceNumber: number): { handlers: LedgerHandlers; instance: LedgerInstance } {
  const instance: LedgerInstance = { calls: { post: 0, balance: 0, audit: 0, wait: 0 }, postTimeouts: [], waits: [] };
  const handlers: LedgerHandlers = {
    post(request, context) {
      instance.calls.post += 1;
      instance.postTimeouts.push(context.timeoutMs());
      changed();
      return { balanceCents: request.cents };
    },
    balance() {
      instance.calls.balance += 1;
      changed();
      return { totalCents: 1_000n };
    },
    audit() {
      instance.calls.audit += 1;
      changed();
      return { seconds: BigInt(instanceNumber) };
    },
    async wait(request, context) {
      instance.calls.wait += 1;
      const record: WaitRecord = {
        millis: request.millis,
        startedAt: performance.now(),
        timeoutMs: context.timeoutMs(),
        abortedAt: undefined,
        abortReason: undefined,
        endedAt: undefined,
      };
      instance.waits.push(record);
      changed();
      await recordedSleep(record, context.signal, { releases, changed });
      return {};
    },
  };
  return { handlers, instance };
}

/** Runs `body` against `count` Ledger instances, each on a connection of its own, then stops them. */
async function withLedgers(count: 1 | 2, body: (hosts: ServiceHost[], instances: LedgerInstance[]) => Promise<void>): Promise<void> {
  const hosts: ServiceHost[] = [];
  const instances: LedgerInstance[] = [];
  try {
    for (const [index, connection] of hostConnections.slice(0, count).entries()) {
      const { handlers, instance } = ledgerHandlers(index + 1);
      instances.push(instance);
      hosts.push(await serveLedger(connection, handlers));
    }
    await body(hosts, instances);
  } finally {
    for (const release of [...releases]) {
      release();
    }
    await Promise.all(hosts.map((host) => host.stop()));
  }
}

/** Cache handlers that name their instance in the reply and count the keys they dropped. */
function cacheHandlers(instance: string, dropped: string[]): CacheHandlers {
  return {
    invalidate(request) {
      dropped.push(request.key);
      changed();
      return { instance };
    },
  };
}

/** A raw subscription that answers every request with an empty payload and keeps what it received. */
function rawResponder(subject: string, queue?: string): { subscription: Subscription; received: Msg[] } {
  const received: Msg[] = [];
  const subscription = nc.subscribe(subject, {
    ...(queue === undefined ? {} : { queue }),
    callback: (error, msg) => {
      if (error === null) {
        received.push(msg);
        msg.respond(new Uint8Array(0));
      }
    },
  });
  return { subscription, received };
}

async function noResponders(subject: string): Promise<void> {
  const error = await nc.request(subject, undefined, { timeout: 2_000 }).catch((reason: unknown) => reason);
  expect(error).toBeInstanceOf(RequestError);
  expect((error as RequestError).cause).toBeInstanceOf(NoRespondersError);
}

/** Every reply to one request, until `count` have arrived or `maxWaitMs` has passed. */
async function gather(subject: string, payload: Uint8Array | undefined, count: number, maxWaitMs = 2_000): Promise<Msg[]> {
  const replies: Msg[] = [];
  for await (const reply of await nc.requestMany(subject, payload, { strategy: "count", maxMessages: count, maxWait: maxWaitMs })) {
    replies.push(reply);
  }
  return replies;
}

function validReply(verb: Verb, msg: Msg): unknown {
  return validDiscoveryReply(validators, verb, msg);
}

const waitRequest = (millis: number) => toBinary(WaitRequestSchema, create(WaitRequestSchema, { millis }));

describe("subjects", () => {
  test("Ledger answers on books.post, finance.balance, books.Audit and books.Wait, raw and through the generated client", async () => {
    await withLedgers(1, async (_hosts, [instance]) => {
      const post = await rawRequest(nc, "books.post", toBinary(PostRequestSchema, create(PostRequestSchema, { account: "cash", cents: 250n })));
      expect(post.headers).toBeUndefined();
      expect(fromBinary(PostResponseSchema, post.data).balanceCents).toBe(250n);
      const balance = await rawRequest(nc, "finance.balance", new Uint8Array(0));
      expect(fromBinary(BalanceResponseSchema, balance.data).totalCents).toBe(1_000n);
      const audit = await rawRequest(nc, "books.Audit", toBinary(OuterSchema, create(OuterSchema, { inner: { value: "all" } })));
      expect(fromBinary(TimestampSchema, audit.data).seconds).toBe(1n);
      const wait = await rawRequest(nc, "books.Wait", waitRequest(1));
      expect(wait.headers).toBeUndefined();
      // google.protobuf.Empty is no bytes at all.
      expect(wait.data).toHaveLength(0);

      const ledger = new LedgerClient(nc);
      expect((await ledger.post({ account: "cash", cents: 5n })).balanceCents).toBe(5n);
      expect((await ledger.balance({})).totalCents).toBe(1_000n);
      expect((await ledger.audit({})).seconds).toBe(1n);
      await ledger.wait({ millis: 1 });
      expect(instance!.calls).toEqual({ post: 2, balance: 2, audit: 2, wait: 2 });
    });
  });

  test("the default subjects, and the method names under the prefix where a subject option replaces them, have no responders", async () => {
    await withLedgers(1, async () => {
      for (const method of ["Post", "Balance", "Audit", "Wait"]) {
        await noResponders(`testing.options.v1.Ledger.${method}`);
      }
      await noResponders("books.Post");
      await noResponders("books.Balance");
    });
  });

  test("Cache, with no prefix option, answers on its default subject", async () => {
    const dropped: string[] = [];
    const host = await serveCache(hostConnections[0], cacheHandlers("a", dropped));
    try {
      const request = toBinary(InvalidateRequestSchema, create(InvalidateRequestSchema, { key: "k1" }));
      const reply = await rawRequest(nc, "testing.options.v1.Cache.Invalidate", request);
      expect(fromBinary(InvalidateResponseSchema, reply.data).instance).toBe("a");
      expect((await new CacheClient(nc).invalidate({ key: "k2" })).instance).toBe("a");
      expect(dropped).toEqual(["k1", "k2"]);
    } finally {
      await host.stop();
    }
  });
});

describe("queue groups", () => {
  test("two instances in ledger-workers share Post and Wait, and in readers share Balance", async () => {
    await withLedgers(2, async (_hosts, instances) => {
      const ledger = new LedgerClient(nc);
      const calls = 60;
      await Promise.all(
        Array.from({ length: calls }, (_, index) => [
          ledger.post({ account: "cash", cents: BigInt(index) }),
          ledger.wait({ millis: 0 }),
          ledger.balance({}),
        ]).flat(),
      );
      // A host's handler runs before its reply leaves, so the counts are final here.
      for (const method of ["post", "wait", "balance"] as const) {
        const counts = instances.map((instance) => instance.calls[method]);
        expect(counts[0]).toBeGreaterThan(0);
        expect(counts[1]).toBeGreaterThan(0);
        expect(counts[0]! + counts[1]!).toBe(calls);
      }
      expect(instances.map((instance) => instance.calls.audit)).toEqual([0, 0]);
    });
  });

  test("the groups are the ones the options name: a subscriber that joins ledger-workers or readers takes a share", async () => {
    await withLedgers(1, async (_hosts, [instance]) => {
      const responders = {
        post: rawResponder("books.post", "ledger-workers"),
        wait: rawResponder("books.Wait", "ledger-workers"),
        balance: rawResponder("finance.balance", "readers"),
      };
      try {
        await nc.flush();
        const ledger = new LedgerClient(nc);
        const calls = 60;
        await Promise.all(
          Array.from({ length: calls }, () => [ledger.post({ account: "cash", cents: 1n }), ledger.wait({ millis: 0 }), ledger.balance({})]).flat(),
        );
        for (const method of ["post", "wait", "balance"] as const) {
          const [byHost, byResponder] = [instance!.calls[method], responders[method].received.length];
          expect(byHost).toBeGreaterThan(0);
          expect(byResponder).toBeGreaterThan(0);
          expect(byHost + byResponder).toBe(calls);
        }
      } finally {
        for (const { subscription } of Object.values(responders)) {
          subscription.unsubscribe();
        }
      }
    });
  });

  test("Audit has no queue group: every instance receives every request", async () => {
    await withLedgers(2, async (_hosts, instances) => {
      const payload = toBinary(OuterSchema, create(OuterSchema, {}));
      // One request, one reply from each instance: each says which it is.
      const replies = await gather("books.Audit", payload, 2);
      expect(replies.map((reply) => fromBinary(TimestampSchema, reply.data).seconds).sort()).toEqual([1n, 2n]);

      const inbox = openInbox(nc);
      try {
        await nc.flush();
        const requests = 10;
        for (let index = 0; index < requests; index += 1) {
          inbox.publish("books.Audit", payload);
        }
        await inbox.waitForCount(2 * requests);
        expect(instances.map((instance) => instance.calls.audit)).toEqual([requests + 1, requests + 1]);
      } finally {
        inbox.unsubscribe();
      }
    });
  });

  test("Cache has no queue group: Invalidate reaches every instance", async () => {
    const dropped: [string[], string[]] = [[], []];
    const hosts = [await serveCache(hostConnections[0], cacheHandlers("a", dropped[0])), await serveCache(hostConnections[1], cacheHandlers("b", dropped[1]))];
    try {
      const request = toBinary(InvalidateRequestSchema, create(InvalidateRequestSchema, { key: "k1" }));
      const replies = await gather("testing.options.v1.Cache.Invalidate", request, 2);
      expect(replies.map((reply) => fromBinary(InvalidateResponseSchema, reply.data).instance).sort()).toEqual(["a", "b"]);

      // The client takes the first reply; the other instance drops the key all the same.
      expect(["a", "b"]).toContain((await new CacheClient(nc).invalidate({ key: "k2" })).instance);
      await waitFor("both instances to drop k2", () => dropped.every((keys) => keys.length === 2));
      expect(dropped).toEqual([
        ["k1", "k2"],
        ["k1", "k2"],
      ]);
    } finally {
      await Promise.all(hosts.map((host) => host.stop()));
    }
  });
});

describe("timeouts", () => {
  test("a Wait call without timeoutMs fails with deadline_exceeded after the service's 2 s, and the handler's signal aborts", async () => {
    await withLedgers(1, async (_hosts, [instance]) => {
      const startedAt = performance.now();
      const error = await rpcRejection(new LedgerClient(nc).wait({ millis: 5_000 }));
      const elapsed = performance.now() - startedAt;
      expect(error.code).toBe(Code.DeadlineExceeded);
      expect(elapsed).toBeGreaterThanOrEqual(1_950);
      expect(elapsed).toBeLessThan(3_500);

      await waitFor("the Wait handler to see its signal abort", () => instance!.waits[0]?.abortedAt !== undefined);
      const wait = instance!.waits[0]!;
      // The client sent 2000 ms: the handler saw (a little less than) that.
      expect(wait.timeoutMs).toBeGreaterThan(1_500);
      expect(wait.timeoutMs).toBeLessThanOrEqual(2_000);
      expect(wait.abortReason).toBeInstanceOf(RpcError);
      expect((wait.abortReason as RpcError).code).toBe(Code.DeadlineExceeded);
    });
  });

  test("a raw request without a timeout header to books.Wait is aborted by the host after 2 s, with no reply", async () => {
    await withLedgers(1, async ([host], [instance]) => {
      const inbox = openInbox(nc);
      try {
        await nc.flush();
        inbox.publish("books.Wait", waitRequest(5_000));
        await waitFor("the Wait handler to see its signal abort", () => instance!.waits[0]?.abortedAt !== undefined);
        const wait = instance!.waits[0]!;
        // The host applied the service's timeout option as the deadline.
        expect(wait.timeoutMs).toBeGreaterThan(1_500);
        expect(wait.timeoutMs).toBeLessThanOrEqual(2_000);
        const abortedAfterMs = wait.abortedAt! - wait.startedAt;
        // The host arms the deadline just before it calls the handler, so it may fire a hair under 2 s after.
        expect(abortedAfterMs).toBeGreaterThanOrEqual(1_950);
        expect(abortedAfterMs).toBeLessThan(3_000);
        expect((wait.abortReason as RpcError).code).toBe(Code.DeadlineExceeded);

        // A round trip through the host: a late reply would have arrived before its answer.
        await new LedgerClient(nc).post({ account: "barrier", cents: 0n });
        expect(await inbox.watch(300)).toHaveLength(0);
        expect(inbox.received).toHaveLength(0);
        expect(host!.stats().endpoints.find((endpoint) => endpoint.name === "Wait")).toMatchObject({
          num_requests: 1,
          num_errors: 1,
          last_error: "deadline_exceeded: deadline of 2000 ms exceeded",
        });
      } finally {
        inbox.unsubscribe();
      }
    });
  });

  test("a raw request without a timeout header to books.post gets Post's 500 ms as its deadline", async () => {
    await withLedgers(1, async (_hosts, [instance]) => {
      await rawRequest(nc, "books.post", toBinary(PostRequestSchema, create(PostRequestSchema, { account: "cash", cents: 1n })));
      expect(instance!.postTimeouts).toHaveLength(1);
      expect(instance!.postTimeouts[0]).toBeGreaterThan(0);
      expect(instance!.postTimeouts[0]).toBeLessThanOrEqual(500);
    });
  });

  test("the caller's timeout header beats the options: a Wait longer than 2 s is answered", async () => {
    await withLedgers(1, async (_hosts, [instance]) => {
      const startedAt = performance.now();
      const reply = await rawRequest(nc, "books.Wait", waitRequest(2_300), { [HeaderName.Timeout]: "4000" }, 4_000);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(2_250);
      expect(reply.headers).toBeUndefined();
      expect(instance!.waits[0]!.abortedAt).toBeUndefined();
      expect(instance!.waits[0]!.timeoutMs).toBeGreaterThan(3_500);
    });
  });

  test("the client sends the call's, else the client's, else the method's, else the service's timeout, else 5000 ms", async () => {
    const responders = {
      post: rawResponder("books.post"),
      balance: rawResponder("finance.balance"),
      audit: rawResponder("books.Audit"),
      wait: rawResponder("books.Wait"),
      invalidate: rawResponder("testing.options.v1.Cache.Invalidate"),
    };
    const sent = (responder: { received: Msg[] }) => responder.received.map((msg) => msg.headers?.get(HeaderName.Timeout));
    try {
      await nc.flush();
      const ledger = new LedgerClient(nc);
      await ledger.post({});
      await ledger.balance({});
      await ledger.audit({});
      await ledger.wait({});
      await new CacheClient(nc).invalidate({});
      expect(sent(responders.post)).toEqual(["500"]);
      expect(sent(responders.balance)).toEqual(["2000"]);
      expect(sent(responders.audit)).toEqual(["2000"]);
      expect(sent(responders.wait)).toEqual(["2000"]);
      expect(sent(responders.invalidate)).toEqual(["5000"]);

      await new LedgerClient(nc, { timeoutMs: 1_234 }).post({});
      await ledger.post({}, { timeoutMs: 777 });
      await new LedgerClient(nc, { timeoutMs: 1_234 }).post({}, { timeoutMs: 777 });
      expect(sent(responders.post)).toEqual(["500", "1234", "777", "777"]);
    } finally {
      for (const { subscription } of Object.values(responders)) {
        subscription.unsubscribe();
      }
    }
  });

  test("a Post handler called by the generated client has at most Post's 500 ms left", async () => {
    await withLedgers(1, async (_hosts, [instance]) => {
      await new LedgerClient(nc).post({ account: "cash", cents: 1n });
      expect(instance!.postTimeouts[0]).toBeGreaterThan(0);
      expect(instance!.postTimeouts[0]).toBeLessThanOrEqual(500);
    });
  });
});

describe("discovery", () => {
  const ledgerEndpoints = [
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
  ];

  /** Runs `body` with one Ledger and one Cache instance. */
  async function withBoth(body: (ledger: ServiceHost, cache: ServiceHost) => Promise<void>): Promise<void> {
    await withLedgers(1, async ([ledger]) => {
      const cache = await serveCache(hostConnections[1], cacheHandlers("a", []));
      try {
        await body(ledger!, cache);
      } finally {
        await cache.stop();
      }
    });
  }

  test("PING announces name ledger, version 1.2.0 and metadata team=finance; cache 0.3.1", async () => {
    await withBoth(async (ledger, cache) => {
      const ping = validReply("PING", await nc.request(`$SRV.PING.ledger.${ledger.id}`, undefined, { timeout: 2_000 })) as PingResponse;
      expect(ping).toEqual({ type: "io.nats.micro.v1.ping_response", name: "ledger", id: ledger.id, version: "1.2.0", metadata: { team: "finance" } });
      const cachePing = validReply("PING", await nc.request("$SRV.PING.cache", undefined, { timeout: 2_000 })) as PingResponse;
      expect(cachePing).toEqual({ type: "io.nats.micro.v1.ping_response", name: "cache", id: cache.id, version: "0.3.1", metadata: {} });
      // The proto service names are not the ADR-32 names.
      await noResponders("$SRV.PING.Ledger");
      await noResponders("$SRV.PING.Cache");
      // Every instance answers the bare form.
      const all = await gather("$SRV.PING", undefined, 2);
      expect(all.map((reply) => (validReply("PING", reply) as PingResponse).name).sort()).toEqual(["cache", "ledger"]);
    });
  });

  test("INFO shows the description, service and endpoint metadata, subjects, and queue groups (none for Audit and Cache)", async () => {
    await withBoth(async (ledger, cache) => {
      const info = validReply("INFO", await nc.request(`$SRV.INFO.ledger.${ledger.id}`, undefined, { timeout: 2_000 })) as InfoResponse;
      expect(info).toEqual({
        type: "io.nats.micro.v1.info_response",
        name: "ledger",
        id: ledger.id,
        version: "1.2.0",
        metadata: { team: "finance" },
        // The description option beats the proto comment the generated code passes as a default.
        description: "Keeps the books.",
        endpoints: ledgerEndpoints,
      });
      expect(info.endpoints[2]).not.toHaveProperty("queue_group");

      const cacheInfo = validReply("INFO", await nc.request(`$SRV.INFO.cache.${cache.id}`, undefined, { timeout: 2_000 })) as InfoResponse;
      expect(cacheInfo).toEqual({
        type: "io.nats.micro.v1.info_response",
        name: "cache",
        id: cache.id,
        version: "0.3.1",
        metadata: {},
        // No description option: the proto comment.
        description: "Cache has no queue group: every instance gets every request.",
        endpoints: [
          {
            name: "Invalidate",
            subject: "testing.options.v1.Cache.Invalidate",
            metadata: { "proto.request_type": "testing.options.v1.InvalidateRequest", "proto.response_type": "testing.options.v1.InvalidateResponse" },
          },
        ],
      });
      expect(cacheInfo.endpoints[0]).not.toHaveProperty("queue_group");
    });
  });

  test("STATS shows the subjects and queue groups, and every $SRV reply of both services validates against the micro v1 schemas", async () => {
    await withBoth(async (ledger, cache) => {
      await new LedgerClient(nc).post({ account: "cash", cents: 1n });
      const stats = validReply("STATS", await nc.request(`$SRV.STATS.ledger.${ledger.id}`, undefined, { timeout: 2_000 })) as StatsResponse;
      expect(stats).toMatchObject({ name: "ledger", version: "1.2.0", metadata: { team: "finance" } });
      expect(stats.endpoints.map(({ name, subject, queue_group, num_requests }) => ({ name, subject, queue_group, num_requests }))).toEqual([
        { name: "Post", subject: "books.post", queue_group: "ledger-workers", num_requests: 1 },
        { name: "Balance", subject: "finance.balance", queue_group: "readers", num_requests: 0 },
        { name: "Audit", subject: "books.Audit", queue_group: undefined, num_requests: 0 },
        { name: "Wait", subject: "books.Wait", queue_group: "ledger-workers", num_requests: 0 },
      ]);
      expect(stats.endpoints[2]).not.toHaveProperty("queue_group");

      const verbs: Verb[] = ["PING", "INFO", "STATS"];
      for (const verb of verbs) {
        for (const [name, host] of [
          ["ledger", ledger],
          ["cache", cache],
        ] as const) {
          for (const subject of [`$SRV.${verb}.${name}`, `$SRV.${verb}.${name}.${host.id}`]) {
            const body = validReply(verb, await nc.request(subject, undefined, { timeout: 2_000 })) as PingResponse;
            expect(body).toMatchObject({ name, id: host.id });
          }
        }
        expect((await gather(`$SRV.${verb}`, undefined, 2)).map((reply) => (validReply(verb, reply) as PingResponse).name).sort()).toEqual(["cache", "ledger"]);
      }
    });
  });
});

test("a service whose options break a rule does not start, and no client is made for it", async () => {
  const broken = serviceWithOptions("Books", { name: "books", subjectPrefix: "books.*" }, [{ name: "Post", option: { timeout: {} } }]);
  const problems = [
    'service opts.v1.Books: subject_prefix: subject "books.*" must not contain wildcards',
    'method opts.v1.Books.Post: subject "books.*.Post" must not contain wildcards',
    "method opts.v1.Books.Post: timeout must be positive, got 0s 0ns",
  ].join("\n");
  await expect(createHost(hostConnections[0], broken, { post: () => ({}) })).rejects.toThrow(new Error(problems));
  await noResponders("$SRV.PING.books");
  expect(() => createClient(nc, broken)).toThrow(new Error(problems));
});
