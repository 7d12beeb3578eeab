import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { ScoreRequestSchema, ScoreResponseSchema } from "../../gen/bench/v1/bench_pb.js";
import { rawSubject, rawV2Subject, scoreRequest } from "../bench-messages.js";
import type { NatsClientSettings } from "../process-messages.js";
import { requestTimeoutMs, type Caller } from "./caller.js";
import { connectBenchNats, connectBenchNatsV2 } from "./connect-bench-nats.js";

/** What the raw caller uses of a connection; nats.js v2 and v3 both have it. */
interface RequestingConnection {
  request(subject: string, payload: Uint8Array, options: { timeout: number }): Promise<{ data: Uint8Array }>;
  close(): Promise<void>;
}

/**
 * Plain `nc.request` with the request's protobuf bytes, encoded once: the cost of NATS alone.
 * The reply is checked by size only, as a hand-written service that trusts its peer would.
 * `library` picks nats.js v3 (`@nats-io/transport-node`, what the runtime uses) or v2 (`nats`).
 */
export async function createRawCaller(url: string, settings: NatsClientSettings, library: "v3" | "v2"): Promise<Caller> {
  const nc: RequestingConnection =
    library === "v3" ? await connectBenchNats(url, settings, "bench-raw-client") : await connectBenchNatsV2(url, settings, "bench-raw-v2-client");
  const subject = library === "v3" ? rawSubject : rawV2Subject;
  const payload = toBinary(ScoreRequestSchema, scoreRequest());
  // One decode up front, to know the reply is the right one before timing anything.
  const first = await nc.request(subject, payload, { timeout: requestTimeoutMs });
  const expectedSize = first.data.length;
  if (fromBinary(ScoreResponseSchema, first.data).count === 0) {
    throw new Error("the raw server's reply is empty");
  }
  return {
    async call() {
      const reply = await nc.request(subject, payload, { timeout: requestTimeoutMs });
      if (reply.data.length !== expectedSize) {
        throw new Error(`raw reply of ${reply.data.length} bytes, expected ${expectedSize}`);
      }
    },
    close: () => nc.close(),
  };
}
