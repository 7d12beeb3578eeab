// Serves the calculator, calls it through the generated client, prints the answers, stops.
// `make demo` runs it against a nats-server of its own; set NATS_URL to use another.
import { connect } from "@nats-io/transport-node";
import { RpcError } from "nats-micro-runtime";
import { calcHandlers } from "./calc-handlers.js";
import { CalcClient, serveCalc } from "./gen/calc/v1/calc_nats.js";

const servers = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const nc = await connect({ servers });
const host = await serveCalc(nc, calcHandlers);
console.log(`serving ${host.definition.name} ${host.definition.version} (instance ${host.id}) on ${servers}`);

const calc = new CalcClient(nc);
const average = await calc.average({ values: [1, 2, 3.5] }, { timeoutMs: 2_000 });
console.log(`average of [1, 2, 3.5] = ${average.result}`);
const sum = await calc.sum({ values: [1, 2, 3.5] });
console.log(`sum of [1, 2, 3.5] = ${sum.result}`);
try {
  await calc.average({ values: [] });
} catch (error) {
  if (!(error instanceof RpcError)) {
    throw error;
  }
  console.log(`average of [] fails as it should: ${error.code}: ${error.rawMessage}`);
}

await host.stop();
await nc.drain();
