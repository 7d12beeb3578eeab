import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, RpcError, type ServiceHost } from "nats-micro-runtime";
import { violationsOf } from "nats-micro-runtime/validation";
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

test("an empty list breaks AverageRequest's rule: invalid_argument with the violation, in both encodings", async () => {
  for (const encoding of ["binary", "json"] as const) {
    const calc = new CalcClient(nc, { encoding });
    const error = await calc.average({ values: [] }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.InvalidArgument);
    expect((error as RpcError).rawMessage).toBe("invalid request: values: must contain at least 1 item(s)");
    expect(violationsOf(error as RpcError)).toEqual([{ field: "values", ruleId: "repeated.min_items", message: "must contain at least 1 item(s)" }]);
  }
});
