#!/usr/bin/env node
// Runs a command with a nats-server of its own: started on a free port on 127.0.0.1, handed to the
// command as NATS_URL, stopped when the command ends.
//   node scripts/with-nats-server.mjs node example/dist/demo.js
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error("usage: with-nats-server.mjs COMMAND [ARGS...]");
  process.exit(2);
}

// Port -1: the server picks a free port and logs it.
const server = spawn("nats-server", ["-a", "127.0.0.1", "-p", "-1"], { stdio: ["ignore", "ignore", "pipe"] });
server.on("error", (error) => {
  console.error(`cannot run nats-server (make demo installs it): ${error.message}`);
  process.exit(1);
});
const port = await new Promise((resolve, reject) => {
  let log = "";
  const timer = setTimeout(() => reject(new Error(`nats-server did not start within 10 s:\n${log}`)), 10_000);
  server.stderr.on("data", (chunk) => {
    log += chunk;
    const match = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
    if (match) {
      clearTimeout(timer);
      server.stderr.removeAllListeners("data");
      server.stderr.resume();
      resolve(match[1]);
    }
  });
});

const url = `nats://127.0.0.1:${port}`;
console.error(`nats-server listening on ${url}`);
const child = spawn(command, args, { stdio: "inherit", env: { ...process.env, NATS_URL: url } });
const code = await new Promise((resolve) => child.on("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
server.kill("SIGTERM");
process.exit(code);
