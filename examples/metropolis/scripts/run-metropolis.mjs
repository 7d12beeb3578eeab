#!/usr/bin/env node
// `make metropolis`: seed 000's gateways and workers on a three-member NATS cluster, on one machine
// (127.0.0.1). Workers (`metropolis serve`) on members 1 and 3, gateways (`metropolis gateway`) on
// members 1 and 2, each connection knowing every member, its own first. Prints how to call them,
// runs until Ctrl-C (or SIGTERM), then stops everything: gateways and workers first, servers last.
// The servers take their configuration from flags and keep no store: no files to clean up.
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { superviseProcesses } from "../../../scripts/supervise-processes.mjs";

const metropolis = fileURLToPath(new URL("../bin/metropolis.js", import.meta.url));
const firstPort = Number(process.env.PORT ?? 8081);
const gatewayPorts = [firstPort, firstPort + 1];
const supervisor = superviseProcesses();

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

supervisor.run(async () => {
  const members = [];
  for (let index = 1; index <= 3; index++) {
    members.push({ name: `metropolis-${index}`, client: await freePort(), route: await freePort() });
  }
  for (const member of members) {
    const routes = members.filter((other) => other !== member).map((other) => `nats-route://127.0.0.1:${other.route}`).join(",");
    const server = supervisor.startServer(member.name, "nats-server", [
      "-a", "127.0.0.1", "-p", String(member.client), "-n", member.name,
      "--cluster_name", "metropolis", "--cluster", `nats://127.0.0.1:${member.route}`, "--routes", routes,
    ]);
    await supervisor.waitForLog(server, member.name, /Server is ready/);
    if (supervisor.isStopping()) return;
  }

  // Member `index` (1-based) first, then the others.
  const serversFor = (index) =>
    [members[index - 1], ...members.filter((_, other) => other !== index - 1)].map((member) => `nats://127.0.0.1:${member.client}`).join(",");
  for (const index of [1, 3]) {
    supervisor.startProgram(`the worker on metropolis-${index}`, process.execPath, [metropolis, "serve", "--server", serversFor(index)]);
  }
  const gateways = [1, 2].map((index, position) => {
    const listen = `127.0.0.1:${gatewayPorts[position]}`;
    supervisor.startProgram(`the gateway on metropolis-${index}`, process.execPath, [metropolis, "gateway", "--listen", listen, "--server", serversFor(index)]);
    return { member: `metropolis-${index}`, url: `http://${listen}` };
  });

  // /readyz is 200 once the gateway is listening and the workers answer $SRV.PING through its member.
  for (const gateway of gateways) {
    await supervisor.waitForHttp(`${gateway.url}/readyz`, "ports taken? PORT=... make metropolis");
    if (supervisor.isStopping()) return;
  }

  console.log(`Metropolis: three nats-servers in a cluster (${members.map((member) => `${member.name} nats://127.0.0.1:${member.client}`).join(", ")});
workers (subject foo.bar, queue group worker) on metropolis-1 and metropolis-3;
gateways on ${gateways.map((gateway) => `${gateway.member} (${gateway.url})`).join(" and ")}.

${gateways.map((gateway) => `  curl -H 'Content-Type: application/json' -d '{"data": "hello"}' ${gateway.url}/foo/bar`).join("\n")}
  # {"data":"olleh"}

Ctrl-C stops it.`);
});
