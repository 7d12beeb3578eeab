// `serve --trace` as a real process: spans go over OTLP/HTTP to the endpoint of the OTEL_*
// variables (here a receiver of the test's own on 127.0.0.1), continue the caller's trace, and the
// spans not yet sent go on SIGTERM. OTEL_TRACES_EXPORTER=otlp turns tracing on without the flag.
import { createServer, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { CalcClient } from "../../example/src/gen/calc/v1/calc_nats.js";
import { calcProgram, startCli, type RunningCli } from "../helpers/cli-process.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";

let server: NatsServer;
let nc: NatsConnection;
let receiver: Server;
let endpoint: string;
// The bodies POSTed to /v1/traces, as text (the exporter sends OTLP/JSON).
const exports: string[] = [];
const running: RunningCli[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method === "POST" && request.url === "/v1/traces") {
        const body = Buffer.concat(chunks);
        exports.push((request.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body).toString("utf8"));
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const address = receiver.address();
  if (address === null || typeof address === "string") {
    throw new Error("the receiver has no port");
  }
  endpoint = `http://127.0.0.1:${address.port}`;
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.kill()));
  exports.splice(0);
});

afterAll(async () => {
  await nc.close();
  await server.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

async function serve(args: readonly string[], env: NodeJS.ProcessEnv): Promise<RunningCli> {
  const cli = startCli(calcProgram, ["serve", "--server", server.url, ...args], {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: "calc-traced", ...env },
  });
  running.push(cli);
  await cli.waitForLog((line) => line.msg === "serving", 15_000);
  return cli;
}

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test("serve --trace: a request's span continues the caller's trace and is sent on SIGTERM", async () => {
  // Batches wait a minute: only the stop can send this one.
  const cli = await serve(["--trace"], { OTEL_BSP_SCHEDULE_DELAY: "60000" });
  const calc = new CalcClient(nc, { timeoutMs: 5_000 });
  await expect(calc.sum({ values: [1, 2] }, { headers: { traceparent } })).resolves.toMatchObject({ result: 3 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(exports).toEqual([]);

  cli.child.kill("SIGTERM");
  await expect(cli.exited).resolves.toEqual({ code: 0, signal: null });
  const sent = exports.join("\n");
  expect(sent).toContain('"calc.v1.Calc/Sum"');
  expect(sent).toContain(traceId);
  expect(sent).toContain('"calc-traced"');
  expect(sent).toContain('"nats_micro"');
});

test("OTEL_TRACES_EXPORTER=otlp turns tracing on without the flag; spans go while serving", async () => {
  await serve([], { OTEL_TRACES_EXPORTER: "otlp", OTEL_BSP_SCHEDULE_DELAY: "100" });
  const calc = new CalcClient(nc, { timeoutMs: 5_000 });
  await expect(calc.average({ values: [2, 4] }, { headers: { traceparent } })).resolves.toMatchObject({ result: 3 });
  await waitFor(() => exports.some((body) => body.includes('"calc.v1.Calc/Average"')), 10_000);
  expect(exports.join("\n")).toContain(traceId);
});

test("without --trace and OTEL_TRACES_EXPORTER, serve sends nothing", async () => {
  const cli = await serve([], {});
  await new CalcClient(nc, { timeoutMs: 5_000 }).sum({ values: [1] }, { headers: { traceparent } });
  cli.child.kill("SIGTERM");
  await expect(cli.exited).resolves.toEqual({ code: 0, signal: null });
  expect(exports).toEqual([]);
});
