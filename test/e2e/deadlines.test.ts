// Deadlines: the caller's timeout travels to the host, which aborts the handler's signal when it
// runs out, sends no late reply, counts the call as an error, and does not wait for the handler
// when it stops.
import { performance } from "node:perf_hooks";
import { create, toBinary } from "@bufbuild/protobuf";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, RpcError, type ServiceHost } from "nats-micro-runtime";
import { SleepRequestSchema } from "../gen/testing/v1/probe_pb.js";
import { ProbeClient, serveProbe } from "../gen/testing/v1/probe_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { createProbeHandlers, type ProbeHandlersOptions, type ProbeRecorder } from "../helpers/probe-handlers.js";
import { openInbox } from "../helpers/raw-nats.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

let server: NatsServer;
let hostConnection: NatsConnection;
let nc: NatsConnection;
let probe: ProbeClient;

beforeAll(async () => {
  server = await startNatsServer();
  hostConnection = await connect({ servers: server.url });
  nc = await connect({ servers: server.url });
  probe = new ProbeClient(nc);
});

afterAll(async () => {
  await Promise.all([nc.close(), hostConnection.close()]);
  await server.stop();
});

/** Runs `body` against a fresh Probe host, then stops the host and ends any Sleep still waiting. */
async function withHost(options: ProbeHandlersOptions, body: (host: ServiceHost, recorder: ProbeRecorder) => Promise<void>): Promise<void> {
  const { handlers, recorder } = createProbeHandlers(options);
  const host = await serveProbe(hostConnection, handlers);
  try {
    await body(host, recorder);
  } finally {
    recorder.releaseAll();
    await host.stop();
  }
}

/** A Sleep request in protobuf binary, for requests made by hand. */
function sleepRequest(millis: number): Uint8Array {
  return toBinary(SleepRequestSchema, create(SleepRequestSchema, { millis }));
}

function sleepStats(host: ServiceHost) {
  return host.stats().endpoints.find((endpoint) => endpoint.name === "Sleep");
}

/**
 * A round trip through the host: its reply leaves the host's connection after anything the host
 * sent before, so once it is back, a late reply or a pending stats update would have shown.
 */
async function roundTrip(): Promise<void> {
  await probe.echo({ text: "barrier" }, { timeoutMs: 2_000 });
}

test("past its deadline a call fails with deadline_exceeded, the handler's signal aborts on time, and stats count an error", async () => {
  await withHost({}, async (host, recorder) => {
    const startedAt = performance.now();
    const error = await rpcRejection(probe.sleep({ millis: 5_000 }, { timeoutMs: 300 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(performance.now() - startedAt).toBeLessThan(2_000);

    await recorder.waitFor("the Sleep handler to see its signal abort", () => recorder.sleeps[0]?.abortedAt !== undefined);
    const sleep = recorder.sleeps[0]!;
    const abortedAfterMs = sleep.abortedAt! - sleep.startedAt;
    // The host arms the deadline just before it calls the handler, so it may fire a hair under 300 ms after.
    expect(abortedAfterMs).toBeGreaterThanOrEqual(280);
    expect(abortedAfterMs).toBeLessThan(1_500);
    expect(sleep.abortReason).toBeInstanceOf(RpcError);
    expect((sleep.abortReason as RpcError).code).toBe(Code.DeadlineExceeded);

    await roundTrip();
    expect(sleepStats(host)).toMatchObject({ num_requests: 1, num_errors: 1, last_error: "deadline_exceeded: deadline of 300 ms exceeded" });
  });
});

test("the host sends no reply after the deadline, though the handler returns a result", async () => {
  await withHost({}, async (_host, recorder) => {
    const inbox = openInbox(nc);
    try {
      await nc.flush();
      // By hand, with a reply subject that outlives the caller's patience.
      inbox.publish("testing.v1.Probe.Sleep", sleepRequest(5_000), { "Nats-Rpc-Timeout-Ms": "300" });
      await recorder.waitFor("the Sleep handler to return", () => recorder.sleeps[0]?.endedAt !== undefined);
      expect(recorder.sleeps[0]!.millis).toBe(5_000);
      expect(recorder.sleeps[0]!.abortedAt).toBeDefined();

      await roundTrip();
      // A bounded window for anything still on its way.
      expect(await inbox.watch(500)).toHaveLength(0);
      expect(inbox.received).toHaveLength(0);
    } finally {
      inbox.unsubscribe();
    }
  });
});

test("a handler that ignores its signal is not answered for when it returns late either", async () => {
  await withHost({ ignoreAbort: true }, async (_host, recorder) => {
    const inbox = openInbox(nc);
    try {
      await nc.flush();
      inbox.publish("testing.v1.Probe.Sleep", sleepRequest(5_000), { "Nats-Rpc-Timeout-Ms": "200" });
      await recorder.waitFor("the Sleep handler to see its signal abort", () => recorder.sleeps[0]?.abortedAt !== undefined);
      expect(recorder.sleeps[0]!.endedAt).toBeUndefined();
      // Let the handler return now, long after its deadline.
      recorder.releaseAll();
      await recorder.waitFor("the Sleep handler to return", () => recorder.sleeps[0]?.endedAt !== undefined);

      await roundTrip();
      expect(await inbox.watch(300)).toHaveLength(0);
      expect(inbox.received).toHaveLength(0);
    } finally {
      inbox.unsubscribe();
    }
  });
});

test("a handler still running past its deadline does not keep the host from stopping", async () => {
  await withHost({ ignoreAbort: true }, async (host, recorder) => {
    const error = await rpcRejection(probe.sleep({ millis: 10_000 }, { timeoutMs: 300 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    await recorder.waitFor("the Sleep handler to see its signal abort", () => recorder.sleeps[0]?.abortedAt !== undefined);

    const stoppingAt = performance.now();
    await host.stop();
    expect(performance.now() - stoppingAt).toBeLessThan(2_000);
    // The handler is still running: stop() did not wait for it.
    expect(recorder.sleeps[0]!.endedAt).toBeUndefined();
  });
});

test("a handler that finishes within its deadline replies normally and is not aborted", async () => {
  await withHost({}, async (host, recorder) => {
    const reply = await probe.sleep({ millis: 50 }, { timeoutMs: 2_000 });
    expect(reply.aborted).toBe(false);
    expect(recorder.sleeps[0]!.abortedAt).toBeUndefined();
    expect(sleepStats(host)).toMatchObject({ num_requests: 1, num_errors: 0, last_error: "" });
  });
});

test("a request without a timeout header has no deadline: the handler is never aborted", async () => {
  await withHost({}, async (host, recorder) => {
    const inbox = openInbox(nc);
    try {
      await nc.flush();
      inbox.publish("testing.v1.Probe.Sleep", sleepRequest(100));
      const [reply] = await inbox.waitForCount(1);
      expect(reply!.headers).toBeUndefined();
      // SleepResponse { aborted: false } is the empty message.
      expect(reply!.data).toHaveLength(0);
      expect(recorder.sleeps[0]!.abortedAt).toBeUndefined();
      expect(sleepStats(host)).toMatchObject({ num_requests: 1, num_errors: 0 });
    } finally {
      inbox.unsubscribe();
    }
  });
});
