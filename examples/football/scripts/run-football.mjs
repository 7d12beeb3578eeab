#!/usr/bin/env node
// `make football`: the seed's football REST gateway on this stack, on one machine. A nats-server
// of its own (127.0.0.1, a free port), two workers (`football serve --workers 2`, a queue group)
// and one gateway (`football gateway`, 127.0.0.1:$PORT or 8080); prints how to call it and runs
// until Ctrl-C (or SIGTERM), then stops everything: the gateway and the workers first, the server last.
//
// FORM=jobs (`make football-jobs`) runs the job form instead: the nats-server with JetStream, its
// store in a temporary directory removed at exit, the workers also taking jobs (`serve --jobs`,
// with a lease of 2 s: a killed worker's jobs run again well within the gateway's 5 s deadline)
// and the gateway calling through the job queue (`gateway --jobs`).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { superviseProcesses } from "../../../scripts/supervise-processes.mjs";

const football = fileURLToPath(new URL("../bin/football.js", import.meta.url));
const postData = fileURLToPath(new URL("post_data.json", import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const form = process.env.FORM ?? "requests";
if (form !== "requests" && form !== "jobs") {
  console.error(`FORM=${form}: the forms are requests (the default) and jobs`);
  process.exit(2);
}
const jobs = form === "jobs";
const supervisor = superviseProcesses();

// The JetStream store, removed once every process has stopped (the supervisor exits then).
function jetStreamStore() {
  const directory = mkdtempSync(join(tmpdir(), "football-jobs-"));
  process.on("exit", () => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

supervisor.run(async () => {
  // Port -1: the server picks a free port and logs it.
  const serverArgs = ["-a", "127.0.0.1", "-p", "-1", ...(jobs ? ["-js", "-sd", jetStreamStore()] : [])];
  const server = supervisor.startServer("nats-server", "nats-server", serverArgs);
  const listening = await supervisor.waitForLog(server, "nats-server", /Listening for client connections on [\d.]+:(\d+)/);
  if (supervisor.isStopping()) return;
  const natsUrl = `nats://127.0.0.1:${listening[1]}`;

  const jobFlags = jobs ? ["--jobs", "--job-lease", "2000"] : [];
  supervisor.startProgram("football serve", process.execPath, [football, "serve", "--workers", "2", ...jobFlags, "--server", natsUrl]);
  supervisor.startProgram("football gateway", process.execPath, [football, "gateway", "--listen", `127.0.0.1:${port}`, ...(jobs ? ["--jobs"] : []), "--server", natsUrl]);

  // Ready when the gateway answers /readyz: it is listening and the workers answer $SRV.PING.
  const base = `http://127.0.0.1:${port}`;
  const again = `${jobs ? "FORM=jobs " : ""}PORT=... make football`;
  await supervisor.waitForHttp(`${base}/readyz`, `is port ${port} taken? ${again}`);
  if (supervisor.isStopping()) return;

  const what = jobs
    ? `Football, job form: gateway ${base} calling through the JetStream work queue, two workers taking its jobs, nats-server ${natsUrl} with JetStream.`
    : `Football: gateway ${base}, two workers, nats-server ${natsUrl}.`;
  const keyed = jobs
    ? `
  # the same key is the same job: sent again, it answers the first result and runs nothing
  curl -H 'Idempotency-Key: match-42' --data '{"game_id": "m42", "home_expected": 1.4, "away_expected": 1.1}' ${base}/football`
    : "";
  console.log(`${what}

  # valid: 200 {"game_id", "home_towin", "away_towin", "draw"}
  curl --data '{"game_id": "qwertyui", "home_expected": 0.1, "away_expected": 1}' ${base}/football
  # invalid: 400 {"game_id", "error"}
  curl --data '{"game_id": "qwertyui", "home_expected": "0.1", "away_expected": -1}' ${base}/football${keyed}
  ab -c 8 -n 10000 -k -p ${postData} -T application/json ${base}/football
  curl ${base}/openapi.json

Ctrl-C stops it.`);
});
