#!/usr/bin/env node
// `make metrobus`: seed 002's bus of dumb stops on this stack, on one machine. A nats-server with
// JetStream of its own (127.0.0.1, a free port, its store in a temporary directory removed at
// exit); the data files made when missing (scripts/make-data.mjs) and loaded into the key-value
// buckets (scripts/load-data.mjs); one `metrobus serve --pipeline` process per stop, as the seed
// ran one container per stop; the pusher; and the live status page on 127.0.0.1:$PORT (8090).
// Prints the page's URL and runs until Ctrl-C (or SIGTERM), then stops everything, the server last.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { superviseProcesses } from "../../../scripts/supervise-processes.mjs";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const metrobus = here("../bin/metrobus.js");
const pusher = here("../bin/metrobus-pusher.js");
const dataDirectory = here("../data");
const port = Number(process.env.PORT ?? 8090);
const rate = Number(process.env.RATE ?? 20);
const stops = ["BusDriver", "ContactPoint", "Whitelist", "LogStop"];
const supervisor = superviseProcesses();

// The JetStream store, removed once every process has stopped (the supervisor exits then).
function jetStreamStore() {
  const directory = mkdtempSync(join(tmpdir(), "metrobus-"));
  process.on("exit", () => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

// A script to its end, its output shown; a failure stops everything.
async function runScript(script, args) {
  const { stdout } = await promisify(execFile)(process.execPath, [here(script), ...args], { timeout: 60_000 });
  process.stdout.write(stdout);
}

supervisor.run(async () => {
  // Port -1: the server picks a free port and logs it.
  const server = supervisor.startServer("nats-server", "nats-server", ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", jetStreamStore()]);
  const listening = await supervisor.waitForLog(server, "nats-server", /Listening for client connections on [\d.]+:(\d+)/);
  if (supervisor.isStopping()) return;
  const natsUrl = `nats://127.0.0.1:${listening[1]}`;

  if (!existsSync(join(dataDirectory, "emails.dat")) || !existsSync(join(dataDirectory, "whitelist.dat"))) {
    await runScript("make-data.mjs", ["--out", dataDirectory]);
  }
  await runScript("load-data.mjs", ["--server", natsUrl, "--data", dataDirectory]);
  if (supervisor.isStopping()) return;

  for (const stop of stops) {
    supervisor.startProgram(`metrobus serve ${stop}`, process.execPath, [metrobus, "serve", "--pipeline", "--methods", stop, "--server", natsUrl]);
  }
  supervisor.startProgram(
    "metrobus pipeline status",
    process.execPath,
    [metrobus, "pipeline", "status", "--port", String(port), "--pipeline", "Notify", "--order", stops.join(","), "--server", natsUrl],
  );
  const page = `http://127.0.0.1:${port}/`;
  await supervisor.waitForHttp(`${page}status.json`, `is port ${port} taken? PORT=... make metrobus`);
  if (supervisor.isStopping()) return;
  supervisor.startProgram("metrobus-pusher", process.execPath, [pusher, "--count", "0", "--rate", String(rate), "--server", natsUrl]);

  console.log(`Metrobus: ${stops.join(" → ")}, one process per stop, nats-server ${natsUrl} with JetStream; the pusher puts ${rate} account records a second on the bus.

  Status page: ${page}
  # the same numbers as JSON
  curl ${page}status.json
  # the stops, as any NATS micro service
  node ${metrobus} stats --server ${natsUrl}

Ctrl-C stops it.`);
});
