// The raw NATS server on nats.js v2 (the `nats` 2.x package the runtime used before v3), for the
// raw-v2 cases: the same responder, so that v2 and v3 are compared in one run.
import { connect } from "nats";
import { rawV2Subject } from "../bench-messages.js";
import { serveRaw } from "./raw-responder.js";
import { runServerProcess } from "./server-process.js";

const natsUrl = process.argv[2] ?? "";

await runServerProcess(async () => serveRaw(await connect({ servers: natsUrl, name: "bench-raw-v2-server" }), rawV2Subject, natsUrl));
