// The generated host: serveBench() from bench/gen, with a handler that scores the samples.
// It answers protobuf binary and JSON alike (by the request's Content-Type).
import { connect } from "@nats-io/transport-node";
import { serveBench } from "../../gen/bench/v1/bench_nats.js";
import { score } from "../bench-messages.js";
import { runServerProcess } from "./server-process.js";

const natsUrl = process.argv[2] ?? "";

await runServerProcess(async () => {
  const nc = await connect({ servers: natsUrl, name: "bench-generated-server" });
  const host = await serveBench(nc, {
    // async, as handlers usually are (they wait for something); the host awaits it either way.
    score: async (request) => score(request),
  });
  return {
    address: natsUrl,
    stop: async () => {
      await host.stop();
      await nc.close();
    },
  };
});
