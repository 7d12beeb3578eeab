#!/usr/bin/env node
// `make football`: the seed's football REST gateway on this stack, on one machine. A nats-server
// of its own (127.0.0.1, a free port), two workers (`football serve --workers 2`, a queue group)
// and one gateway (`football gateway`, 127.0.0.1:$PORT or 8080); prints how to call it and runs
// until Ctrl-C (or SIGTERM), then stops everything: the gateway and the workers first, the server last.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const football = fileURLToPath(new URL("../bin/football.js", import.meta.url));
const postData = fileURLToPath(new URL("post_data.json", import.meta.url));
const port = Number(process.env.PORT ?? 8080);

/** Started processes, in the order they stop: programs first, then the server they use. */
const programs = [];
const servers = [];
let stopping = false;

// Each child in a process group of its own, so that Ctrl-C reaches this script alone, which stops
// them in order: workers drain while the server is still up, rather than waiting on a lost one.
function start(group, name, command, args) {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  child.log = "";
  child.stderr.on("data", (chunk) => (child.log = (child.log + chunk).slice(-4000)));
  child.on("error", (error) => fail(`${name} did not start: ${error.message}`));
  child.on("exit", (code, signal) => {
    if (!stopping) fail(`${name} stopped unexpectedly (${signal ?? `exit code ${code}`})\n${child.log}`);
  });
  group.push(child);
  return child;
}

const exited = (child) =>
  child.exitCode !== null || child.signalCode !== null || child.pid === undefined
    ? Promise.resolve()
    : new Promise((resolve) => child.once("exit", resolve));

async function stopGroup(group) {
  for (const child of group) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  // Draining takes well under a second; the timer ends a stuck process.
  const killer = setTimeout(() => group.forEach((child) => child.kill("SIGKILL")), 5_000);
  await Promise.all(group.map(exited));
  clearTimeout(killer);
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  await stopGroup(programs);
  await stopGroup(servers);
  process.exit(code);
}

function fail(message) {
  if (stopping) return;
  console.error(message);
  void stop(1);
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
process.on("uncaughtException", (error) => fail(error.stack ?? String(error)));
process.on("unhandledRejection", (error) => fail(error?.stack ?? String(error)));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  // Port -1: the server picks a free port and logs it.
  const server = start(servers, "nats-server", "nats-server", ["-a", "127.0.0.1", "-p", "-1"]);
  let natsUrl;
  for (let waited = 0; natsUrl === undefined; waited += 50) {
    if (stopping) return;
    if (waited >= 10_000) throw new Error(`nats-server did not start within 10 s:\n${server.log}`);
    const match = /Listening for client connections on [\d.]+:(\d+)/.exec(server.log);
    if (match) natsUrl = `nats://127.0.0.1:${match[1]}`;
    else await sleep(50);
  }

  start(programs, "football serve", process.execPath, [football, "serve", "--workers", "2", "--server", natsUrl]);
  start(programs, "football gateway", process.execPath, [football, "gateway", "--listen", `127.0.0.1:${port}`, "--server", natsUrl]);

  // Ready when the gateway answers /readyz: it is listening and the workers answer $SRV.PING.
  const base = `http://127.0.0.1:${port}`;
  for (let waited = 0; ; waited += 100) {
    if (stopping) return;
    const ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) }).then((response) => response.ok, () => false);
    if (ready) break;
    if (waited >= 15_000) throw new Error(`the gateway was not ready within 15 s (is port ${port} taken? PORT=... make football)`);
    await sleep(100);
  }

  console.log(`Football: gateway ${base}, two workers, nats-server ${natsUrl}.

  # valid: 200 {"game_id", "home_towin", "away_towin", "draw"}
  curl --data '{"game_id": "qwertyui", "home_expected": 0.1, "away_expected": 1}' ${base}/football
  # invalid: 400 {"game_id", "error"}
  curl --data '{"game_id": "qwertyui", "home_expected": "0.1", "away_expected": -1}' ${base}/football
  ab -c 8 -n 10000 -k -p ${postData} -T application/json ${base}/football
  curl ${base}/openapi.json

Ctrl-C stops it.`);
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)));
