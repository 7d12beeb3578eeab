import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { ScoreRequestSchema, ScoreResponseSchema } from "../../gen/bench/v1/bench_pb.js";
import { rawSubject, scoreRequest } from "../bench-messages.js";
import type { NatsClientSettings } from "../process-messages.js";
import { requestTimeoutMs, type Caller } from "./caller.js";
import { connectBenchNats } from "./connect-bench-nats.js";

/**
 * Plain `nc.request` with the request's protobuf bytes, encoded once: the cost of NATS alone.
 * The reply is checked by size only, as a hand-written service that trusts its peer would.
 */
export async function createRawCaller(url: string, settings: NatsClientSettings): Promise<Caller> {
  const nc = await connectBenchNats(url, settings, "bench-raw-client");
  const payload = toBinary(ScoreRequestSchema, scoreRequest());
  // One decode up front, to know the reply is the right one before timing anything.
  const first = await nc.request(rawSubject, payload, { timeout: requestTimeoutMs });
  const expectedSize = first.data.length;
  if (fromBinary(ScoreResponseSchema, first.data).count === 0) {
    throw new Error("the raw server's reply is empty");
  }
  return {
    async call() {
      const reply = await nc.request(rawSubject, payload, { timeout: requestTimeoutMs });
      if (reply.data.length !== expectedSize) {
        throw new Error(`raw reply of ${reply.data.length} bytes, expected ${expectedSize}`);
      }
    },
    close: () => nc.close(),
  };
}
