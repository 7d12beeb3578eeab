#!/usr/bin/env node
// Measures a host's memory under a flood of requests: starts a nats-server of its own on a free
// loopback port, runs the example's Calc service in a child process (so that only the host is
// measured), sends it many requests, and prints the host's resident set size and heap before
// and after, as one JSON object.
//
//   npm run build
//   node scripts/measure-host-memory.mjs                                  # 100,000 requests, no limit
//   node scripts/measure-host-memory.mjs --delay-ms 5 --limit 100 --window 2000
//
// Options (all optional):
//   --requests N    requests to send after the warm-up (default 100000)
//   --rounds N      send them this many times, measuring after each round (default 1)
//   --window N      requests the client keeps in flight at once (default 500)
//   --delay-ms N    how long each handler waits before it answers (default 0)
//   --limit N       the host's maxConcurrentRequests (default: no limit)
//   --timeout-ms N  each call's timeout (default 10000)
import { spawn, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import { createClient, createHost } from "nats-micro-runtime";
import { Calc } from "../example/dist/gen/calc/v1/calc_pb.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "100000" },
    rounds: { type: "string", default: "1" },
    window: { type: "string", default: "500" },
    "delay-ms": { type: "string", default: "0" },
    limit: { type: "string" },
    "timeout-ms": { type: "string", default: "10000" },
    host: { type: "string" },
  },
});

if (values.host !== undefined) {
  await runHost(values.host, Number(values["delay-ms"]), values.limit === undefined ? undefined : Number(values.limit));
} else {
  await measure();
}

/** The child: serves Calc and answers the parent's requests for its memory figures. */
async function runHost(url, delayMs, limit) {
  const nc = await connect({ servers: url });
  const wait = (signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  const host = await createHost(
    nc,
    Calc,
    {
      async average(request, context) {
        if (delayMs > 0) {
          await wait(context.signal);
        }
        return { operation: "average", result: request.values.reduce((a, b) => a + b, 0) / Math.max(1, request.values.length) };
      },
      async sum(request) {
        return { operation: "sum", result: request.values.reduce((a, b) => a + b, 0) };
      },
    },
    limit === undefined ? {} : { maxConcurrentRequests: limit },
  );
  process.on("message", async (message) => {
    if (message === "memory") {
      // A full collection first, so that the figures show what is kept, not what awaits collection.
      globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      const average = host.stats().endpoints.find((endpoint) => endpoint.name === "Average");
      process.send({ rss, heapUsed, numRequests: average.num_requests, numErrors: average.num_errors });
    } else if (message === "stop") {
      await host.stop();
      await nc.close();
      process.exit(0);
    }
  });
  process.send("ready");
}

/** The parent: starts the server and the host, floods it, reports. */
async function measure() {
  const megabytes = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const requests = Number(values.requests);
  const window = Number(values.window);
  const timeoutMs = Number(values["timeout-ms"]);
  const server = spawn("nats-server", ["-a", "127.0.0.1", "-p", "-1"], { stdio: ["ignore", "ignore", "pipe"] });
  let child;
  try {
    const url = `nats://127.0.0.1:${await serverPort(server)}`;
    const hostArgs = ["--host", url, "--delay-ms", values["delay-ms"], ...(values.limit === undefined ? [] : ["--limit", values.limit])];
    child = fork(fileURLToPath(import.meta.url), hostArgs, { execArgv: ["--expose-gc"] });
    const messages = [];
    const waiters = [];
    child.on("message", (message) => (waiters.length > 0 ? waiters.shift()(message) : messages.push(message)));
    const next = () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the host did not answer within 30 s")), 30_000);
        const take = (message) => {
          clearTimeout(timer);
          resolve(message);
        };
        messages.length > 0 ? take(messages.shift()) : waiters.push(take);
      });
    const ask = (message) => {
      child.send(message);
      return next();
    };
    if ((await next()) !== "ready") {
      throw new Error("the host did not start");
    }

    const nc = await connect({ servers: url });
    const calc = createClient(nc, Calc, { timeoutMs });
    const outcomes = new Map();
    const flood = async (count) => {
      let sent = 0;
      const worker = async () => {
        while (sent < count) {
          sent += 1;
          const outcome = await calc.average({ values: [1, 2, 3, 4] }).then(
            () => "ok",
            (error) => error.code ?? "not an RpcError",
          );
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
    };
    // Warm up: code compiled, buffers and caches at their working size.
    await flood(Math.min(10_000, requests));
    outcomes.clear();
    const before = await ask("memory");
    const startedAt = performance.now();
    // RSS after each round: memory that is kept grows round after round; memory that is reused does not.
    const rssAfterRoundMiB = [];
    let after = before;
    for (let round = 0; round < Number(values.rounds); round += 1) {
      await flood(requests);
      after = await ask("memory");
      rssAfterRoundMiB.push(megabytes(after.rss));
    }
    const seconds = (performance.now() - startedAt) / 1_000;
    await nc.close();
    child.send("stop");
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });

    console.log(
      JSON.stringify({
        requests,
        rounds: Number(values.rounds),
        window,
        delayMs: Number(values["delay-ms"]),
        limit: values.limit === undefined ? null : Number(values.limit),
        seconds: Math.round(seconds * 100) / 100,
        requestsPerSecond: Math.round((requests * Number(values.rounds)) / seconds),
        outcomes: Object.fromEntries(outcomes),
        hostRequestsCounted: after.numRequests - before.numRequests,
        rssBeforeMiB: megabytes(before.rss),
        rssAfterMiB: megabytes(after.rss),
        rssGrowthMiB: megabytes(after.rss - before.rss),
        rssAfterRoundMiB,
        heapUsedBeforeMiB: megabytes(before.heapUsed),
        heapUsedAfterMiB: megabytes(after.heapUsed),
        heapGrowthMiB: megabytes(after.heapUsed - before.heapUsed),
      }),
    );
  } finally {
    child?.kill("SIGKILL");
    server.kill("SIGTERM");
  }
}

function serverPort(server) {
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`nats-server did not start within 10 s:\n${log}`)), 10_000);
    server.on("error", (error) => reject(new Error(`cannot run nats-server: ${error.message}`)));
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
}
