import type { Encoding } from "nats-micro-runtime";
import { BenchClient } from "../../gen/bench/v1/bench_nats.js";
import { checkScore, scoreRequestInit } from "../bench-messages.js";
import type { NatsClientSettings } from "../process-messages.js";
import { requestTimeoutMs, type Caller } from "./caller.js";
import { connectBenchNats } from "./connect-bench-nats.js";

/** The generated client, as an application uses it: a request init in, a typed reply out. */
export async function createGeneratedCaller(url: string, settings: NatsClientSettings, encoding: Encoding): Promise<Caller> {
  const nc = await connectBenchNats(url, settings, `bench-generated-${encoding}-client`);
  const client = new BenchClient(nc, { encoding, timeoutMs: requestTimeoutMs });
  return {
    async call() {
      checkScore(await client.score(scoreRequestInit));
    },
    close: () => nc.close(),
  };
}
