import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, RpcError, type ServiceHost } from "nats-micro-runtime";
import { calcHandlers } from "../../example/src/calc-handlers.js";
import { CalcClient, serveCalc } from "../../example/src/gen/calc/v1/calc_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";

let server: NatsServer;
let nc: NatsConnection;
let host: ServiceHost;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  host = await serveCalc(nc, calcHandlers);
});

afterAll(async () => {
  await host.stop();
  await nc.close();
  await server.stop();
});

test("the generated client calls the generated host and gets typed replies", async () => {
  const calc = new CalcClient(nc);
  const average = await calc.average({ values: [1, 2, 3.5] }, { timeoutMs: 2_000 });
  expect(average.operation).toBe("average");
  expect(average.result).toBeCloseTo(6.5 / 3, 5);
  const sum = await calc.sum({ values: [1, 2, 3.5] });
  expect(sum).toMatchObject({ operation: "sum", result: 6.5 });
});

test("a handler's RpcError reaches the client with its code and message", async () => {
  const calc = new CalcClient(nc);
  const error = await calc.average({ values: [] }).catch((reason: unknown) => reason);
  expect(error).toBeInstanceOf(RpcError);
  expect((error as RpcError).code).toBe(Code.InvalidArgument);
  expect((error as RpcError).rawMessage).toMatch(/values must not be empty/);
});
