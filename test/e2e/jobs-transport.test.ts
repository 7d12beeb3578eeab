// Calls as durable jobs (docs/jobs.md, "Calls through the queue"): a client whose transport is
// the job queue, and a gateway whose calls go through it, against a real nats-server with
// JetStream: the reply, the handler's headers, idempotency keys, interceptors and deadlines.
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, createClient, HeaderName, type Interceptor, type ServiceHost } from "nats-micro-runtime";
import { serveGateway, type Gateway } from "nats-micro-runtime/gateway";
import { jobTransport, serveJobs } from "nats-micro-runtime/jobs";
import { Chores } from "../gen/testing/jobs/v1/chores_pb.js";
import { serveChores } from "../gen/testing/jobs/v1/chores_nats.js";
import { createChoresHandlers, type ChoresRecorder } from "../helpers/chores-handlers.js";
import { startNatsProcess, type NatsProcess } from "../helpers/nats-cluster.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

let server: NatsProcess;
let nc: NatsConnection;
let hostConnection: NatsConnection;
let host: ServiceHost;
let recorder: ChoresRecorder;

beforeAll(async () => {
  server = await startNatsProcess({ name: "jobs-transport", jetStream: true });
  nc = await connect({ servers: server.url });
  hostConnection = await connect({ servers: server.url });
  recorder = createChoresHandlers("w1");
  const { handlers } = recorder;
  host = await serveChores(
    hostConnection,
    {
      ...handlers,
      async do(request, context) {
        context.responseHeader.set(HeaderName.HttpStatus, "201");
        context.responseHeader.set("x-chore", request.key);
        return handlers.do(request, context);
      },
    },
    // Only the job queue serves: a NATS request would find no responder.
    { entryPoints: [serveJobs({ leaseMs: 2_000, stopGraceMs: 500 })], methods: ["Do", "Slow"], queueGroup: "jobs-only" },
  );
});

afterAll(async () => {
  await host?.stop();
  await Promise.all([nc, hostConnection].map((connection) => connection?.close()));
  await server?.stop();
});

describe("a client whose transport is the job queue", () => {
  it("calls through a job and gets the reply and the handler's headers", async () => {
    const seen: string[] = [];
    const tap: Interceptor = (next) => async (request) => {
      seen.push(request.method.name);
      return next(request);
    };
    const chores = createClient(nc, Chores, { transport: jobTransport(nc, Chores), interceptors: [tap] });
    let header: Headers | undefined;
    const reply = await chores.do({ key: "via-job" }, { timeoutMs: 10_000, onHeader: (received) => (header = received) });
    expect(reply).toMatchObject({ key: "via-job", attempt: 1 });
    expect(header?.get("x-chore")).toBe("via-job");
    expect(seen).toEqual(["Do"]);
    expect(recorder.callsOf("via-job")[0]!.jobId).toBeDefined();
  });

  it("runs calls with one Idempotency-Key once, whatever their number", async () => {
    const chores = createClient(nc, Chores, { transport: jobTransport(nc, Chores) });
    const headers = { "Idempotency-Key": "payment-7731" };
    const replies = await Promise.all([1, 2, 3].map(() => chores.do({ key: "keyed" }, { timeoutMs: 10_000, headers })));
    expect(replies.map((reply) => reply.attempt)).toEqual([1, 1, 1]);
    expect(recorder.callsOf("keyed")).toHaveLength(1);
    expect(recorder.callsOf("keyed")[0]!.jobId).toBe("payment-7731");
  });

  it("fails a call whose time runs out with deadline_exceeded, and the job goes on", async () => {
    const chores = createClient(nc, Chores, { transport: jobTransport(nc, Chores) });
    const error = await rpcRejection(chores.slow({ key: "outlived", sleepMs: 1_000 }, { timeoutMs: 300 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(recorder.callsOf("outlived")[0]!.outcome).toBe("ok");
  });

  it("rejects with the job's error", async () => {
    const chores = createClient(nc, Chores, { transport: jobTransport(nc, Chores) });
    const error = await rpcRejection(chores.do({ key: "refused", failCode: Code.PermissionDenied }, { timeoutMs: 10_000 }));
    expect(error.code).toBe(Code.PermissionDenied);
  });
});

describe("a gateway whose calls go through the job queue", () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await serveGateway(nc, [Chores], { port: 0, clientOptions: (service) => ({ transport: jobTransport(nc, service) }) });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it("answers a Connect call with the job's reply, and an Idempotency-Key makes a retried POST run once", async () => {
    const post = () =>
      fetch(`${gateway.url}/testing.jobs.v1.Chores/Do`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "http-retry-1" },
        body: JSON.stringify({ key: "over-http" }),
      });
    const first = await post();
    const second = await post();
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ key: "over-http", attempt: 1 });
    expect(await second.json()).toMatchObject({ key: "over-http", attempt: 1 });
    expect(first.headers.get("x-chore")).toBe("over-http");
    expect(recorder.callsOf("over-http")).toHaveLength(1);
  });
});
