#!/usr/bin/env node
// `make football`: the seed's football REST gateway on this stack, on one machine. A nats-server
// of its own (127.0.0.1, a free port), two workers (`football serve --workers 2`, a queue group)
// and one gateway (`football gateway`, 127.0.0.1:$PORT or 8080); prints how to call it and runs
// until Ctrl-C, then stops everything.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const football = fileURLToPath(new URL("../bin/football.js", import.meta.url));
const postData = fileURLToPath(new URL("post_data.json", import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const children = [];

function start(command, args, name) {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  child.stderr.on("data", (chunk) => (errors += chunk));
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`${name} stopped unexpectedly (${signal ?? `exit code ${code}`})\n${errors}`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children.reverse()) child.kill("SIGTERM");
  // The gateway and workers drain in well under a second; the timer ends a stuck one.
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", resolve))))).then(() => process.exit(code));
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

// Port -1: the server picks a free port and logs it.
const server = start("nats-server", ["-a", "127.0.0.1", "-p", "-1"], "nats-server");
const natsUrl = await new Promise((resolve, reject) => {
  let log = "";
  const timer = setTimeout(() => reject(new Error(`nats-server did not start within 10 s:\n${log}`)), 10_000);
  server.stderr.on("data", (chunk) => {
    log += chunk;
    const match = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
    if (match) {
      clearTimeout(timer);
      resolve(`nats://127.0.0.1:${match[1]}`);
    }
  });
});

start(process.execPath, [football, "serve", "--workers", "2", "--server", natsUrl], "football serve");
start(process.execPath, [football, "gateway", "--listen", `127.0.0.1:${port}`, "--server", natsUrl], "football gateway");

// Ready when the gateway answers /readyz: it is listening and the workers answer $SRV.PING.
const base = `http://127.0.0.1:${port}`;
for (let attempt = 0; ; attempt++) {
  const ready = await fetch(`${base}/readyz`).then((response) => response.ok, () => false);
  if (ready) break;
  if (attempt === 100) {
    console.error(`the gateway was not ready within 10 s (is port ${port} taken? PORT=... make football)`);
    stop(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}

console.log(`Football: gateway ${base}, two workers, nats-server ${natsUrl}.

  curl --data '{"game_id": "qwertyui", "home_expected": 0.1, "away_expected": 1}' ${base}/football
  curl --data '{"game_id": "qwertyui", "home_expected": "0.1", "away_expected": -1}' ${base}/football
  ab -c 8 -n 10000 -k -p ${postData} -T application/json ${base}/football
  curl ${base}/openapi.json

Ctrl-C stops it.`);
