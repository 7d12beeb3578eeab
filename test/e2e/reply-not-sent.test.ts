// A reply that cannot be sent is a failure, not a success: a handler still running when its host's
// connection closes cannot answer, and the host's stats say so.
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, createHost, RpcError, type ServiceHost } from "nats-micro-runtime";
import type { CalcHandlers } from "../../example/src/gen/calc/v1/calc_nats.js";
import { CalcClient } from "../../example/src/gen/calc/v1/calc_nats.js";
import { Calc } from "../../example/src/gen/calc/v1/calc_pb.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";

let server: NatsServer;
let clientNc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  clientNc = await connect({ servers: server.url });
});

afterAll(async () => {
  await clientNc.close();
  await server.stop();
});

/** Resolves once `condition` holds, polling; rejects after `timeoutMs`. */
async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("a handler that finishes after its host's connection closed cannot reply, and the stats count an unavailable error", async () => {
  const hostNc = await connect({ servers: server.url });
  let started!: () => void;
  const handlerStarted = new Promise<void>((resolve) => (started = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let finished = false;
  const handlers: CalcHandlers = {
    async average() {
      return { operation: "average", result: 0 };
    },
    async sum(request) {
      started();
      await released;
      finished = true;
      return { operation: "sum", result: request.values.reduce((total, value) => total + value, 0) };
    },
  };
  let host: ServiceHost | undefined;
  try {
    host = await createHost(hostNc, Calc, handlers);
    const call = new CalcClient(clientNc).sum({ values: [1, 2] }, { timeoutMs: 1_500 }).then(
      (reply) => reply,
      (error: unknown) => error,
    );
    await handlerStarted;
    await hostNc.close();
    release();
    await waitUntil(() => finished && host!.stats().endpoints.some((endpoint) => endpoint.num_requests > 0));

    const sum = host.stats().endpoints.find((endpoint) => endpoint.name === "Sum")!;
    expect(sum.num_requests).toBe(1);
    expect(sum.num_errors).toBe(1);
    expect(sum.last_error).toMatch(/^unavailable/);
    expect(sum.last_error).toBe("unavailable: the reply could not be sent: the connection is closed or closing");

    // The caller never got a reply: it waited until its deadline.
    const outcome = await call;
    expect(outcome).toBeInstanceOf(RpcError);
    expect((outcome as RpcError).code).toBe(Code.DeadlineExceeded);

    // Nothing is left in flight: a stop on the closed connection does not wait for the call.
    await host.stop();
  } finally {
    release();
    await hostNc.close();
  }
});

test("replies sent while the connection is open count as successes, so the error above is the closed connection's", async () => {
  const hostNc = await connect({ servers: server.url });
  const handlers: CalcHandlers = {
    async average() {
      return { operation: "average", result: 0 };
    },
    async sum(request) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { operation: "sum", result: request.values.reduce((total, value) => total + value, 0) };
    },
  };
  const host = await createHost(hostNc, Calc, handlers);
  try {
    expect((await new CalcClient(clientNc).sum({ values: [1, 2] }, { timeoutMs: 1_500 })).result).toBe(3);
    expect(host.stats().endpoints.find((endpoint) => endpoint.name === "Sum")).toMatchObject({ num_requests: 1, num_errors: 0, last_error: "" });
  } finally {
    await host.stop();
    await hostNc.close();
  }
});
