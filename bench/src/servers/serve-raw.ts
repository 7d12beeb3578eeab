// The raw NATS server on nats.js v3 (what the runtime uses): a queue subscription that answers
// every request with the same reply bytes through msg.respond.
import { connect } from "@nats-io/transport-node";
import { rawSubject } from "../bench-messages.js";
import { serveRaw } from "./raw-responder.js";
import { runServerProcess } from "./server-process.js";

const natsUrl = process.argv[2] ?? "";

await runServerProcess(async () => serveRaw(await connect({ servers: natsUrl, name: "bench-raw-server" }), rawSubject, natsUrl));
