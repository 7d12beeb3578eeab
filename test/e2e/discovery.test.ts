// $SRV discovery (ADR-32): PING, INFO and STATS answer on all three subject forms with JSON that
// the official micro v1 schemas accept, and every instance answers for itself.
import { connect } from "@nats-io/transport-node";
import { NoRespondersError, RequestError, type Msg, type NatsConnection } from "@nats-io/nats-core";
import { Code, type HostOptions, type InfoResponse, type PingResponse, type ServiceHost, type StatsResponse } from "nats-micro-runtime";
import { calcHandlers } from "../../example/src/calc-handlers.js";
import { CalcClient, serveCalc } from "../../example/src/gen/calc/v1/calc_nats.js";
import { loadAdr32Validators, validDiscoveryReply, type Adr32Validators, type Verb } from "../helpers/adr32-schemas.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

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

/** Parses a discovery reply and fails, with the schema's complaints, unless it is valid. */
function validReply(verb: Verb, msg: Msg): unknown {
  return validDiscoveryReply(validators, verb, msg);
}

/** Every reply to a discovery request that arrives within `windowMs` (or until `count` have). */
async function gather(subject: string, options: { count?: number; windowMs: number }): Promise<Msg[]> {
  const replies: Msg[] = [];
  const iterator = await nc.requestMany(
    subject,
    undefined,
    options.count === undefined
      ? { strategy: "timer", maxWait: options.windowMs }
      : { strategy: "count", maxMessages: options.count, maxWait: options.windowMs },
  );
  for await (const reply of iterator) {
    replies.push(reply);
  }
  return replies;
}

async function withHosts(count: 1 | 2, body: (hosts: ServiceHost[]) => Promise<void>, options: HostOptions = {}): Promise<void> {
  const hosts: ServiceHost[] = [];
  try {
    for (const connection of hostConnections.slice(0, count)) {
      hosts.push(await serveCalc(connection, calcHandlers, options));
    }
    await body(hosts);
  } finally {
    await Promise.all(hosts.map((host) => host.stop()));
  }
}

test("the schemas reject replies that break the micro v1 contract", async () => {
  await withHosts(1, async ([host]) => {
    const stats = JSON.parse(JSON.stringify(host!.stats())) as StatsResponse;
    expect(validators.STATS(stats)).toBe(true);
    const broken: unknown[] = [
      { ...stats, name: "calc.v1" },
      { ...stats, version: "1.0" },
      { ...stats, started: "yesterday" },
      { ...stats, endpoints: [{ ...stats.endpoints[0], processing_time: 1.5 }] },
      { ...stats, endpoints: [{ ...stats.endpoints[0], last_error: undefined }] },
      { ...stats, endpoints: [{ ...stats.endpoints[0], name: "calc.Average" }] },
    ];
    for (const body of broken) {
      expect(validators.STATS(JSON.parse(JSON.stringify(body)))).toBe(false);
    }
  });
});

const verbs: Verb[] = ["PING", "INFO", "STATS"];
const subjectForms = [
  ["$SRV.<verb>", (verb: Verb) => `$SRV.${verb}`],
  ["$SRV.<verb>.<name>", (verb: Verb) => `$SRV.${verb}.Calc`],
  ["$SRV.<verb>.<name>.<id>", (verb: Verb, id: string) => `$SRV.${verb}.Calc.${id}`],
] as const;

describe.each(verbs)("$SRV.%s", (verb) => {
  test.each(subjectForms)("on %s answers schema-valid JSON describing the instance", async (_form, subjectOf) => {
    await withHosts(1, async ([host]) => {
      const reply = await nc.request(subjectOf(verb, host!.id), undefined, { timeout: 2_000 });
      const body = validReply(verb, reply) as PingResponse | InfoResponse | StatsResponse;
      expect(body).toMatchObject({
        type: `io.nats.micro.v1.${verb.toLowerCase()}_response`,
        name: "Calc",
        id: host!.id,
        version: "0.0.0",
        metadata: {},
      });
      if (verb === "INFO") {
        expect(body).toEqual(JSON.parse(JSON.stringify(host!.info())));
      }
      // No payload headers: discovery replies are plain JSON.
      expect(reply.headers).toBeUndefined();
    });
  });
});

test("INFO lists every endpoint with its subject, queue group q and proto types, and names without dots", async () => {
  await withHosts(1, async ([host]) => {
    const info = validReply("INFO", await nc.request(`$SRV.INFO.Calc.${host!.id}`, undefined, { timeout: 2_000 })) as InfoResponse;
    // The generated code passes the service's proto comment as the description.
    expect(info.description).toBe("Calc does arithmetic on lists of numbers.");
    expect(info.endpoints).toEqual([
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
    ]);
    for (const endpoint of info.endpoints) {
      expect(endpoint.name).not.toContain(".");
    }
  });
});

test("STATS before any call: zero counts, last_error present and empty, start time now", async () => {
  const before = Date.now();
  await withHosts(1, async ([host]) => {
    const stats = validReply("STATS", await nc.request(`$SRV.STATS.Calc.${host!.id}`, undefined, { timeout: 2_000 })) as StatsResponse;
    // Second precision in the comparison: the start time is taken while the host starts.
    expect(Date.parse(stats.started)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(stats.started)).toBeLessThanOrEqual(Date.now());
    expect(stats.endpoints).toEqual(
      ["Average", "Sum"].map((name) => ({
        name,
        subject: `calc.v1.Calc.${name}`,
        queue_group: "q",
        num_requests: 0,
        num_errors: 0,
        last_error: "",
        processing_time: 0,
        average_processing_time: 0,
      })),
    );
  });
});

test("STATS after calls and an error: counts, last error, and times in whole nanoseconds", async () => {
  await withHosts(1, async ([host]) => {
    const calc = new CalcClient(nc);
    for (let index = 0; index < 5; index += 1) {
      await calc.average({ values: [index, 3] });
    }
    expect((await rpcRejection(calc.average({ values: [] }))).code).toBe(Code.InvalidArgument);

    const stats = validReply("STATS", await nc.request(`$SRV.STATS.Calc.${host!.id}`, undefined, { timeout: 2_000 })) as StatsResponse;
    const [average, sum] = stats.endpoints;
    expect(average).toMatchObject({ name: "Average", num_requests: 6, num_errors: 1 });
    expect(average!.last_error).toBe("invalid_argument: invalid request: values: must contain at least 1 item(s)");
    expect(sum).toMatchObject({ name: "Sum", num_requests: 0, num_errors: 0, last_error: "" });
    expect(Number.isInteger(average!.processing_time)).toBe(true);
    expect(Number.isInteger(average!.average_processing_time)).toBe(true);
    expect(average!.processing_time).toBeGreaterThan(0);
    expect(average!.average_processing_time).toBe(Math.round(average!.processing_time / 6));
    // The raw JSON has integers too, not floats that happen to parse as whole numbers.
    const raw = new TextDecoder().decode((await nc.request(`$SRV.STATS.Calc.${host!.id}`, undefined, { timeout: 2_000 })).data);
    expect(raw).toMatch(/"processing_time":\d+,/);
    expect(raw).toMatch(/"average_processing_time":\d+[,}]/);
  });
});

test("with two instances, $SRV.PING and $SRV.<verb>.<name> gather one reply from each", async () => {
  await withHosts(2, async (hosts) => {
    const ids = hosts.map((host) => host.id).sort();
    expect(ids[0]).not.toBe(ids[1]);
    for (const subject of ["$SRV.PING", "$SRV.PING.Calc", "$SRV.INFO.Calc", "$SRV.STATS"]) {
      const replies = await gather(subject, { count: 2, windowMs: 2_000 });
      expect(replies).toHaveLength(2);
      const verb = subject.split(".")[1] as Verb;
      expect(replies.map((reply) => (validReply(verb, reply) as PingResponse).id).sort()).toEqual(ids);
    }
  });
});

test("$SRV.<verb>.<name>.<id> is answered by that instance only", async () => {
  await withHosts(2, async ([first]) => {
    // A bounded window: a second answer, if any, would come in well under it.
    const replies = await gather(`$SRV.PING.Calc.${first!.id}`, { windowMs: 500 });
    expect(replies.map((reply) => (validReply("PING", reply) as PingResponse).id)).toEqual([first!.id]);
  });
});

test("$SRV.<verb>.<other name> is not answered", async () => {
  await withHosts(1, async () => {
    const error = await nc.request("$SRV.PING.Nothing", undefined, { timeout: 2_000 }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).cause).toBeInstanceOf(NoRespondersError);
  });
});

test("name, version, description and metadata given to the host are announced", async () => {
  await withHosts(
    1,
    async ([host]) => {
      const ping = validReply("PING", await nc.request("$SRV.PING.calc-eu", undefined, { timeout: 2_000 })) as PingResponse;
      expect(ping).toMatchObject({ name: "calc-eu", id: host!.id, version: "1.2.3-beta.1", metadata: { region: "eu-west", owner: "numbers" } });
      const info = validReply("INFO", await nc.request(`$SRV.INFO.calc-eu.${host!.id}`, undefined, { timeout: 2_000 })) as InfoResponse;
      expect(info.description).toBe("Arithmetic, in Europe");
      expect(info.metadata).toEqual({ region: "eu-west", owner: "numbers" });
      validReply("STATS", await nc.request(`$SRV.STATS.calc-eu.${host!.id}`, undefined, { timeout: 2_000 }));
    },
    { name: "calc-eu", version: "1.2.3-beta.1", description: "Arithmetic, in Europe", metadata: { region: "eu-west", owner: "numbers" } },
  );
});

test("a stopped instance no longer answers discovery", async () => {
  const host = await serveCalc(hostConnections[0], calcHandlers);
  await nc.request(`$SRV.PING.Calc.${host.id}`, undefined, { timeout: 2_000 });
  await host.stop();
  const error = await nc.request(`$SRV.PING.Calc.${host.id}`, undefined, { timeout: 2_000 }).catch((reason: unknown) => reason);
  expect(error).toBeInstanceOf(RequestError);
  expect((error as RequestError).cause).toBeInstanceOf(NoRespondersError);
});
