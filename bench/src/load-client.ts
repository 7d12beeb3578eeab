// The timed client: a process of its own, started by the runner for one case kind. It connects
// to that case's server, then runs what the runner asks: a warm-up, and on "measure" a timed run
// whose figures it reports. Usage (by the runner): node load-client.js <case> <server address>
import { caseKindNamed } from "./case-kinds.js";
import { createCaller } from "./callers/create-caller.js";
import { serveLoadClient } from "./serve-load-client.js";

const [kindName = "", address = ""] = process.argv.slice(2);
await serveLoadClient(() => createCaller(caseKindNamed(kindName), address), "the runner (bench/src/run-benchmarks.ts)");
