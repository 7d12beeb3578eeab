import { create, toBinary } from "@bufbuild/protobuf";
import { ScoreResponseSchema } from "../../gen/bench/v1/bench_pb.js";
import { rawQueueGroup, score, scoreRequestInit } from "../bench-messages.js";
import type { RunningServer } from "./server-process.js";

/** What the raw server uses of a connection; nats.js v2 and v3 both have it. */
interface RespondingConnection {
  subscribe(
    subject: string,
    options: { queue: string; callback: (error: unknown, msg: { respond(payload: Uint8Array): boolean }) => void },
  ): unknown;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A queue subscription that answers every request on `subject` with the same reply bytes through
 * msg.respond. No codec, no headers: the floor the generated host is compared with.
 */
export async function serveRaw(nc: RespondingConnection, subject: string, natsUrl: string): Promise<RunningServer> {
  // The bytes the generated host sends for the same request.
  const reply = toBinary(ScoreResponseSchema, create(ScoreResponseSchema, score(scoreRequestInit)));
  nc.subscribe(subject, { queue: rawQueueGroup, callback: (error, msg) => error === null && msg.respond(reply) });
  await nc.flush();
  return { address: natsUrl, stop: () => nc.close() };
}
