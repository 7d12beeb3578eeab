// One method of a service on machines of its own: `serve --methods` as real processes, and the
// `methods` option of createHost that it is built on.
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, createHost, RpcError, type InfoResponse, type ServiceHandlers, type StatsResponse } from "nats-micro-runtime";
import { calcHandlers } from "../../example/src/calc-handlers.js";
import { Calc } from "../../example/src/gen/calc/v1/calc_pb.js";
import { CalcClient } from "../../example/src/gen/calc/v1/calc_nats.js";
import { calcProgram, runCli, startCli, type LogLine, type RunningCli } from "../helpers/cli-process.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";

let server: NatsServer;
let nc: NatsConnection;
let calc: CalcClient;
const running: RunningCli[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  calc = new CalcClient(nc, { timeoutMs: 5_000 });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.kill()));
});

afterAll(async () => {
  await nc.close();
  await server.stop();
});

/** Starts `calc serve --methods <methods>` at debug level (a log line per request) and waits until it serves. */
async function serveMethods(methods: string): Promise<{ cli: RunningCli; serving: LogLine }> {
  const cli = startCli(calcProgram, ["serve", "--server", server.url, "--methods", methods, "--log-level", "debug"]);
  running.push(cli);
  const serving = await cli.waitForLog((line) => line.msg === "serving", 15_000);
  return { cli, serving };
}

// Two serving processes and four more CLI runs: node starts slowly on a busy machine.
const cliTestTimeoutMs = 60_000;

const requestLines = (cli: RunningCli, method: string) => cli.logs.filter((line) => line.msg === "request" && line["method"] === method);

const failureOf = (call: Promise<unknown>): Promise<unknown> => call.then(
  () => new Error("the call succeeded"),
  (error: unknown) => error,
);

describe("calc serve --methods", () => {
  test("two processes, one method each: each answers its own method, and discovery shows each with its own endpoint only", async () => {
    const average = await serveMethods("Average");
    const sum = await serveMethods("Sum");
    expect(average.serving["endpoints"]).toEqual(["Average calc.v1.Calc.Average"]);
    expect(sum.serving["endpoints"]).toEqual(["Sum calc.v1.Calc.Sum"]);

    for (let index = 0; index < 5; index++) {
      expect((await calc.average({ values: [index, index + 2] })).result).toBe(index + 1);
      expect((await calc.sum({ values: [index, 10] })).result).toBe(index + 10);
    }
    // Every Average went to the Average process and every Sum to the Sum process.
    await average.cli.waitForLog(() => requestLines(average.cli, "Average").length === 5);
    await sum.cli.waitForLog(() => requestLines(sum.cli, "Sum").length === 5);
    expect(requestLines(average.cli, "Sum")).toEqual([]);
    expect(requestLines(sum.cli, "Average")).toEqual([]);

    const info = await runCli(calcProgram, ["info", "--json", "--server", server.url]);
    expect(info.exitCode).toBe(0);
    const instances = JSON.parse(info.stdout) as InfoResponse[];
    const endpointsById = Object.fromEntries(
      instances.map((instance) => [instance.id, instance.endpoints.map((endpoint) => `${endpoint.name} ${endpoint.subject} ${endpoint.queue_group}`)]),
    );
    expect(endpointsById).toEqual({
      [String(average.serving["instance"])]: ["Average calc.v1.Calc.Average q"],
      [String(sum.serving["instance"])]: ["Sum calc.v1.Calc.Sum q"],
    });

    // $SRV.STATS agrees: each instance counted the requests of its one endpoint.
    const stats = JSON.parse((await runCli(calcProgram, ["stats", "--json", "--server", server.url])).stdout) as StatsResponse[];
    const countsById = Object.fromEntries(stats.map((reply) => [reply.id, reply.endpoints.map((endpoint) => [endpoint.name, endpoint.num_requests])]));
    expect(countsById).toEqual({
      [String(average.serving["instance"])]: [["Average", 5]],
      [String(sum.serving["instance"])]: [["Sum", 5]],
    });
  }, cliTestTimeoutMs);

  test("stopping the process of one method makes that method unavailable while the other keeps serving", async () => {
    const average = await serveMethods("Average");
    const sum = await serveMethods("Sum");
    expect((await calc.average({ values: [1, 3] })).result).toBe(2);

    average.cli.child.kill("SIGTERM");
    expect(await average.cli.exited).toEqual({ code: 0, signal: null });

    const error = await failureOf(calc.average({ values: [1, 3] }));
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.Unavailable);
    expect((await calc.sum({ values: [1, 3] })).result).toBe(4);
    expect(sum.cli.child.exitCode).toBeNull();

    // The command line says the same: exit code 78 (unavailable) for average, a reply for sum.
    const averageCall = await runCli(calcProgram, ["call", "average", '{"values": [1]}', "--server", server.url]);
    expect(averageCall.exitCode).toBe(78);
    expect(averageCall.stderr).toBe("error: unavailable: no service instance is listening on calc.v1.Calc.Average\n");
    const sumCall = await runCli(calcProgram, ["call", "sum", '{"values": [1, 2]}', "--server", server.url]);
    expect(sumCall.exitCode).toBe(0);
    expect(JSON.parse(sumCall.stdout)).toEqual({ operation: "sum", result: 3 });

    const info = JSON.parse((await runCli(calcProgram, ["info", "--json", "--server", server.url])).stdout) as InfoResponse[];
    expect(info.map((instance) => instance.endpoints.map((endpoint) => endpoint.name))).toEqual([["Sum"]]);
  }, cliTestTimeoutMs);

  test("an unknown method is a usage error (2) with one line naming it and the known methods, and nothing is served", async () => {
    const result = await runCli(calcProgram, ["serve", "--server", server.url, "--methods", "Nope"]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("error: --methods: calc.v1.Calc has no method Nope (its methods: Average, Sum)");
    // The one line of the error, and the usage hint every usage error ends with.
    expect(lines.slice(1)).toEqual(["(add --help for usage)"]);

    const mixed = await runCli(calcProgram, ["serve", "--server", server.url, "--methods", "Sum,Nope"]);
    expect(mixed.exitCode).toBe(2);
    expect(mixed.stderr.split("\n")[0]).toBe("error: --methods: calc.v1.Calc has no method Nope (its methods: Average, Sum)");
    const empty = await runCli(calcProgram, ["serve", "--server", server.url, "--methods", " , "]);
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr.split("\n")[0]).toBe("error: option '--methods <names>' argument ' , ' is invalid. name at least one method");
    const error = await failureOf(calc.sum({ values: [1] }));
    expect((error as RpcError).code).toBe(Code.Unavailable);
  }, cliTestTimeoutMs);
});

describe("createHost with methods", () => {
  test("methods: [\"Sum\"] serves only Sum, and its discovery shows only Sum", async () => {
    const host = await createHost(nc, Calc, calcHandlers, { methods: ["Sum"] });
    try {
      expect(host.definition.endpoints.map((endpoint) => endpoint.name)).toEqual(["Sum"]);
      expect(host.info().endpoints.map((endpoint) => endpoint.subject)).toEqual(["calc.v1.Calc.Sum"]);
      expect(host.stats().endpoints.map((endpoint) => endpoint.name)).toEqual(["Sum"]);
      expect((await calc.sum({ values: [2, 3] })).result).toBe(5);
      const error = await failureOf(calc.average({ values: [2, 3] }));
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe(Code.Unavailable);
      expect(host.stats().endpoints[0]).toMatchObject({ name: "Sum", num_requests: 1, num_errors: 0 });
    } finally {
      await host.stop();
    }
  });

  test("a method the service does not have is rejected with an error naming it and the service's methods", async () => {
    await expect(createHost(nc, Calc, calcHandlers, { methods: ["Nope"] })).rejects.toThrow(
      'service calc.v1.Calc has no method "Nope" (its methods: Average, Sum)',
    );
    await expect(createHost(nc, Calc, calcHandlers, { methods: ["Sum", "average"] })).rejects.toThrow('has no method "average"');
    await expect(createHost(nc, Calc, calcHandlers, { methods: [] })).rejects.toThrow("methods must name at least one method to serve (its methods: Average, Sum)");
    // Nothing was left subscribed by the refused hosts.
    const error = await failureOf(calc.sum({ values: [1] }));
    expect((error as RpcError).code).toBe(Code.Unavailable);
  });

  test("handlers are needed for the served methods only", async () => {
    const sumOnly = { sum: calcHandlers.sum } as ServiceHandlers<typeof Calc>;
    const host = await createHost(nc, Calc, sumOnly, { methods: ["Sum"] });
    try {
      expect((await calc.sum({ values: [4, 5] })).result).toBe(9);
    } finally {
      await host.stop();
    }
    // Without `methods`, the missing handler is an error that names it.
    await expect(createHost(nc, Calc, sumOnly)).rejects.toThrow("no handler for method Average");
  });
});
