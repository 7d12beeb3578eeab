// What the tracing and validation interceptors cost per call: the generated Calc client calling the
// generated host in one process, one call at a time, on a nats-server of its own (127.0.0.1, free
// port), with no interceptors, with tracing on both sides (a real SDK tracer provider recording
// into memory), with validation on the host, and with both. Rounds interleave the cases; each
// case's figure is the median over rounds of the mean time per call, and of its difference to
// the case without interceptors measured in the same round.
//
//   npm run build && node bench/interceptor-cost.mjs [ROUNDS=15] [CALLS=2000]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { clientTracingInterceptor, hostTracingInterceptor } from "nats-micro-runtime/tracing";
import { createValidationInterceptor } from "nats-micro-runtime/validation";
import { calcHandlers } from "../example/dist/calc-handlers.js";
import { CalcClient, serveCalc } from "../example/dist/gen/calc/v1/calc_nats.js";

const [rounds = 15, calls = 2000] = process.argv.slice(2).map(Number);

const directory = mkdtempSync(join(tmpdir(), "interceptor-cost-"));
writeFileSync(join(directory, "nats.conf"), 'listen: "127.0.0.1:-1"\n');
const server = spawn("nats-server", ["-c", join(directory, "nats.conf")], { stdio: ["ignore", "ignore", "pipe"] });
const port = await new Promise((resolve, reject) => {
  let log = "";
  const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${log}`)), 10_000);
  server.stderr.on("data", (chunk) => {
    log += chunk;
    const match = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
    if (match) {
      clearTimeout(timer);
      resolve(Number(match[1]));
    }
  });
});

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(provider);

// The interceptors of each case, made for the connection they describe.
const cases = {
  none: () => ({ host: [], client: [] }),
  tracing: (connection) => ({ host: [hostTracingInterceptor({ connection })], client: [clientTracingInterceptor({ connection })] }),
  validation: () => ({ host: [createValidationInterceptor()], client: [] }),
  both: (connection) => ({ host: [hostTracingInterceptor({ connection }), createValidationInterceptor()], client: [clientTracingInterceptor({ connection })] }),
};

const perCall = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < rounds; round += 1) {
  for (const [name, interceptorsFor] of Object.entries(cases)) {
    const connection = await connect({ servers: `127.0.0.1:${port}` });
    const { host: hostInterceptors, client: clientInterceptors } = interceptorsFor(connection);
    const host = await serveCalc(connection, calcHandlers, { interceptors: hostInterceptors });
    const client = new CalcClient(connection, { interceptors: clientInterceptors });
    for (let call = 0; call < 200; call += 1) {
      await client.average({ values: [1, 2, 3] });
    }
    const started = process.hrtime.bigint();
    for (let call = 0; call < calls; call += 1) {
      await client.average({ values: [1, 2, 3] });
    }
    perCall[name].push(Number(process.hrtime.bigint() - started) / calls / 1000);
    exporter.reset();
    await host.stop();
    await connection.close();
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`${rounds} rounds of ${calls} calls, one at a time; µs per call (client and host in this process)`);
for (const name of Object.keys(cases)) {
  const added = perCall[name].map((value, index) => value - perCall.none[index]);
  console.log(`${name.padEnd(11)} ${median(perCall[name]).toFixed(1).padStart(7)} µs   added: ${median(added).toFixed(1).padStart(6)} µs`);
}
await provider.shutdown();
server.kill("SIGTERM");
rmSync(directory, { recursive: true, force: true });
