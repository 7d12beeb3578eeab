#!/usr/bin/env node
// `make football`: the seed's football REST gateway on this stack, on one machine. A nats-server
// of its own (127.0.0.1, a free port), two workers (`football serve --workers 2`, a queue group)
// and one gateway (`football gateway`, 127.0.0.1:$PORT or 8080); prints how to call it and runs
// until Ctrl-C (or SIGTERM), then stops everything: the gateway and the workers first, the server last.
import { fileURLToPath } from "node:url";
import { superviseProcesses } from "../../../scripts/supervise-processes.mjs";

const football = fileURLToPath(new URL("../bin/football.js", import.meta.url));
const postData = fileURLToPath(new URL("post_data.json", import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const supervisor = superviseProcesses();

supervisor.run(async () => {
  // Port -1: the server picks a free port and logs it.
  const server = supervisor.startServer("nats-server", "nats-server", ["-a", "127.0.0.1", "-p", "-1"]);
  const listening = await supervisor.waitForLog(server, "nats-server", /Listening for client connections on [\d.]+:(\d+)/);
  if (supervisor.isStopping()) return;
  const natsUrl = `nats://127.0.0.1:${listening[1]}`;

  supervisor.startProgram("football serve", process.execPath, [football, "serve", "--workers", "2", "--server", natsUrl]);
  supervisor.startProgram("football gateway", process.execPath, [football, "gateway", "--listen", `127.0.0.1:${port}`, "--server", natsUrl]);

  // Ready when the gateway answers /readyz: it is listening and the workers answer $SRV.PING.
  const base = `http://127.0.0.1:${port}`;
  await supervisor.waitForHttp(`${base}/readyz`, `is port ${port} taken? PORT=... make football`);
  if (supervisor.isStopping()) return;

  console.log(`Football: gateway ${base}, two workers, nats-server ${natsUrl}.

  # valid: 200 {"game_id", "home_towin", "away_towin", "draw"}
  curl --data '{"game_id": "qwertyui", "home_expected": 0.1, "away_expected": 1}' ${base}/football
  # invalid: 400 {"game_id", "error"}
  curl --data '{"game_id": "qwertyui", "home_expected": "0.1", "away_expected": -1}' ${base}/football
  ab -c 8 -n 10000 -k -p ${postData} -T application/json ${base}/football
  curl ${base}/openapi.json

Ctrl-C stops it.`);
});
