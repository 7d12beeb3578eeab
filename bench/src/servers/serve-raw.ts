// The raw NATS server: a queue subscription that answers every request with the same reply bytes
// through msg.respond. No codec, no headers: the floor the generated host is compared with.
import { toBinary, create } from "@bufbuild/protobuf";
import { connect } from "nats";
import { ScoreResponseSchema } from "../../gen/bench/v1/bench_pb.js";
import { rawQueueGroup, rawSubject, score, scoreRequestInit } from "../bench-messages.js";
import { runServerProcess } from "./server-process.js";

const natsUrl = process.argv[2] ?? "";

await runServerProcess(async () => {
  const nc = await connect({ servers: natsUrl, name: "bench-raw-server" });
  // The bytes the generated host sends for the same request.
  const reply = toBinary(ScoreResponseSchema, create(ScoreResponseSchema, score(scoreRequestInit)));
  nc.subscribe(rawSubject, { queue: rawQueueGroup, callback: (error, msg) => error === null && msg.respond(reply) });
  await nc.flush();
  return { address: natsUrl, stop: () => nc.close() };
});
