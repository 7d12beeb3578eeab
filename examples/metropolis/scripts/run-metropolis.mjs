#!/usr/bin/env node
// `make metropolis`: seed 000's gateway and workers on a three-member NATS cluster, on one machine
// (127.0.0.1). Workers (`metropolis serve`) on members 1 and 3, gateways (`metropolis gateway`) on
// members 1 and 2, each connection knowing every member; prints how to call them and runs until
// Ctrl-C, then stops everything.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const metropolis = fileURLToPath(new URL("../bin/metropolis.js", import.meta.url));
const gatewayPorts = [Number(process.env.PORT ?? 8081), Number(process.env.PORT ?? 8081) + 1];
const children = [];
let stopping = false;

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

function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of [...children].reverse()) child.kill("SIGTERM");
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", resolve))))).then(() => process.exit(code));
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

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

const members = [];
for (let index = 0; index < 3; index++) {
  members.push({ name: `metropolis-${index + 1}`, client: await freePort(), route: await freePort() });
}
const routes = members.map((member) => `nats://127.0.0.1:${member.route}`).join(",");
for (const member of members) {
  const server = start(
    "nats-server",
    ["-a", "127.0.0.1", "-p", String(member.client), "-n", member.name, "--cluster_name", "metropolis", "--cluster", `nats://127.0.0.1:${member.route}`, "--routes", routes],
    member.name,
  );
  await new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`${member.name} did not start within 10 s:\n${log}`)), 10_000);
    server.stderr.on("data", (chunk) => {
      log += chunk;
      if (log.includes("Server is ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

// Every connection knows every member, its own first.
const serversFor = (index) => [index, ...[0, 1, 2].filter((other) => other !== index)].map((other) => `nats://127.0.0.1:${members[other].client}`).join(",");
for (const index of [0, 2]) {
  start(process.execPath, [metropolis, "serve", "--server", serversFor(index)], `worker on ${members[index].name}`);
}
const gateways = [1, 2].map((index, position) => {
  start(process.execPath, [metropolis, "gateway", "--listen", `127.0.0.1:${gatewayPorts[position]}`, "--server", serversFor(index - 1)], `gateway on ${members[index - 1].name}`);
  return `http://127.0.0.1:${gatewayPorts[position]}`;
});

for (const base of gateways) {
  for (let attempt = 0; ; attempt++) {
    if (await fetch(`${base}/readyz`).then((response) => response.ok, () => false)) break;
    if (attempt === 100) {
      console.error(`${base} was not ready within 10 s (ports taken? PORT=... make metropolis)`);
      stop(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

console.log(`Metropolis: a cluster of three nats-servers (${members.map((member) => `${member.name} on ${member.client}`).join(", ")}),
workers on metropolis-1 and metropolis-3 (subject foo.bar, queue group worker), gateways on metropolis-1 and metropolis-2.

  curl -H 'Content-Type: application/json' -d '{"data": "hello"}' ${gateways[0]}/foo/bar
  curl -H 'Content-Type: application/json' -d '{"data": "hello"}' ${gateways[1]}/foo/bar
  nats --server nats://127.0.0.1:${members[2].client} req foo.bar '{"data": "hello"}' -H Content-Type:application/json

Ctrl-C stops it.`);
