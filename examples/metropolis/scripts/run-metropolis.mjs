#!/usr/bin/env node
// `make metropolis`: seed 000's gateways and workers on a three-member NATS cluster, on one machine
// (127.0.0.1). Workers (`metropolis serve`) on members 1 and 3, gateways (`metropolis gateway`) on
// members 1 and 2, each connection knowing every member, its own first. Prints how to call them,
// runs until Ctrl-C (or SIGTERM), then stops everything: gateways and workers first, servers last.
// The servers take their configuration from flags and keep no store: no files to clean up.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const metropolis = fileURLToPath(new URL("../bin/metropolis.js", import.meta.url));
const firstPort = Number(process.env.PORT ?? 8081);
const gatewayPorts = [firstPort, firstPort + 1];

/** Started processes, in the order they stop: programs first, then the servers they use. */
const programs = [];
const servers = [];
let stopping = false;

// Each child in a process group of its own, so that Ctrl-C reaches this script alone, which stops
// them in order (a gateway drains while the servers are still up).
function start(group, name, command, args) {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  child.label = name;
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

// A port free now, for a server to listen on next.
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function main() {
  const members = [];
  for (let index = 1; index <= 3; index++) {
    members.push({ name: `metropolis-${index}`, client: await freePort(), route: await freePort() });
  }
  for (const member of members) {
    const routes = members.filter((other) => other !== member).map((other) => `nats-route://127.0.0.1:${other.route}`).join(",");
    const server = start(servers, member.name, "nats-server", [
      "-a", "127.0.0.1", "-p", String(member.client), "-n", member.name,
      "--cluster_name", "metropolis", "--cluster", `nats://127.0.0.1:${member.route}`, "--routes", routes,
    ]);
    for (let waited = 0; !server.log.includes("Server is ready"); waited += 50) {
      if (stopping) return;
      if (waited >= 10_000) throw new Error(`${member.name} was not ready within 10 s:\n${server.log}`);
      await sleep(50);
    }
  }

  // Member `index` (1-based) first, then the others.
  const serversFor = (index) =>
    [members[index - 1], ...members.filter((_, other) => other !== index - 1)].map((member) => `nats://127.0.0.1:${member.client}`).join(",");
  for (const index of [1, 3]) {
    start(programs, `the worker on metropolis-${index}`, process.execPath, [metropolis, "serve", "--server", serversFor(index)]);
  }
  const gateways = [1, 2].map((index, position) => {
    const listen = `127.0.0.1:${gatewayPorts[position]}`;
    start(programs, `the gateway on metropolis-${index}`, process.execPath, [metropolis, "gateway", "--listen", listen, "--server", serversFor(index)]);
    return { member: `metropolis-${index}`, url: `http://${listen}` };
  });

  // /readyz is 200 once the gateway is listening and the workers answer $SRV.PING through its member.
  for (const gateway of gateways) {
    for (let waited = 0; ; waited += 100) {
      if (stopping) return;
      const ready = await fetch(`${gateway.url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then((response) => response.ok, () => false);
      if (ready) break;
      if (waited >= 15_000) throw new Error(`${gateway.url}/readyz was not 200 within 15 s (ports taken? PORT=... make metropolis)`);
      await sleep(100);
    }
  }

  console.log(`Metropolis: three nats-servers in a cluster (${members.map((member) => `${member.name} nats://127.0.0.1:${member.client}`).join(", ")});
workers (subject foo.bar, queue group worker) on metropolis-1 and metropolis-3;
gateways on ${gateways.map((gateway) => `${gateway.member} (${gateway.url})`).join(" and ")}.

${gateways.map((gateway) => `  curl -H 'Content-Type: application/json' -d '{"data": "hello"}' ${gateway.url}/foo/bar`).join("\n")}
  # {"data":"olleh"}

Ctrl-C stops it.`);
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)));
