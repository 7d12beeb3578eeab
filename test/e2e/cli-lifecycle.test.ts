// The life of `serve` as a real process: SIGTERM drains under load, a drain timeout and a second
// signal force the exit, and `--workers` keeps N processes serving through a crash.
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { RpcError } from "nats-micro-runtime";
import { CalcClient } from "../../example/src/gen/calc/v1/calc_nats.js";
import { calcProgram, runCli, slowCalcProgram, startCli, type LogLine, type RunningCli } from "../helpers/cli-process.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";

let server: NatsServer;
let nc: NatsConnection;
let calc: CalcClient;
const running: RunningCli[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  calc = new CalcClient(nc, { timeoutMs: 5_000 });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.kill()));
});

afterAll(async () => {
  await nc.close();
  await server.stop();
});

/** Starts a serving process and waits until `instances` of its processes serve. */
async function serve(program: string, args: readonly string[], options: { delayMs?: number; instances?: number } = {}): Promise<RunningCli> {
  const cli = startCli(program, ["serve", "--server", server.url, ...args], { env: { SLOW_CALC_DELAY_MS: String(options.delayMs ?? 200) } });
  running.push(cli);
  const instances = options.instances ?? 1;
  await cli.waitForLog(() => servingLines(cli).length >= instances, 15_000);
  return cli;
}

const servingLines = (cli: RunningCli): LogLine[] => cli.logs.filter((line) => line.msg === "serving");

/** Calls `sum` with `concurrency` requests in flight until `stop()`; counts outcomes by code. */
function loadUntilStopped(concurrency: number, timeoutMs = 5_000) {
  let stopped = false;
  const outcomes = new Map<string, number>();
  const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  // Bounded: at most 10,000 calls per lane, whatever happens.
  const lanes = Array.from({ length: concurrency }, async () => {
    for (let call = 0; call < 10_000 && !stopped; call++) {
      try {
        const reply = await calc.sum({ values: [1, 2] }, { timeoutMs });
        count(reply.result === 3 ? "ok" : "wrong reply");
      } catch (error) {
        count(error instanceof RpcError ? error.code : String(error));
      }
    }
  });
  return {
    outcomes,
    stop: async () => {
      stopped = true;
      await Promise.all(lanes);
      return Object.fromEntries(outcomes);
    },
  };
}

test("SIGTERM under load: the instance drains and exits 0, and not one request fails", async () => {
  const leaving = await serve(slowCalcProgram, []);
  const staying = await serve(slowCalcProgram, []);
  const load = loadUntilStopped(16);
  await waitUntil(() => (load.outcomes.get("ok") ?? 0) >= 32);

  leaving.child.kill("SIGTERM");
  expect(await leaving.exited).toEqual({ code: 0, signal: null });
  const afterStop = load.outcomes.get("ok") ?? 0;
  await waitUntil(() => (load.outcomes.get("ok") ?? 0) >= afterStop + 32);
  const outcomes = await load.stop();

  expect(Object.keys(outcomes)).toEqual(["ok"]);
  expect(leaving.logs.map((line) => line.msg)).toEqual(["serving", "stopping: answering requests in flight", "stopped"]);
  expect(staying.child.exitCode).toBeNull();
});

test("SIGTERM answers every request already received before the process exits", async () => {
  const cli = await serve(slowCalcProgram, ["--metrics-port", "0"], { delayMs: 1_000 });
  const metricsUrl = String(servingLines(cli)[0]!["metrics"]);
  const calls = Array.from({ length: 10 }, (_, index) => calc.sum({ values: [index] }));
  // The host's in-flight gauge says when all ten have arrived and none is answered yet.
  await waitUntil(async () => (await (await fetch(metricsUrl)).text()).includes('nats_rpc_server_requests_in_flight{service="Calc",method="Sum"} 10'));
  cli.child.kill("SIGTERM");
  const replies = await Promise.all(calls);
  expect(replies.map((reply) => reply.result)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(await cli.exited).toEqual({ code: 0, signal: null });
});

test("--max-concurrent refuses requests over the limit at once with resource_exhausted", async () => {
  await serve(slowCalcProgram, ["--max-concurrent", "2"], { delayMs: 1_000 });
  const startedAt = Date.now();
  const outcomes = await Promise.all(
    Array.from({ length: 3 }, (_, index) =>
      calc.sum({ values: [index] }).then(
        () => ({ code: "ok", ms: Date.now() - startedAt }),
        (error: unknown) => ({ code: error instanceof RpcError ? error.code : String(error), ms: Date.now() - startedAt }),
      ),
    ),
  );
  expect(outcomes.map(({ code }) => code).sort()).toEqual(["ok", "ok", "resource_exhausted"]);
  expect(outcomes.find(({ code }) => code === "resource_exhausted")!.ms).toBeLessThan(900);
});

test("a drain that outlasts --drain-timeout ends the process with exit code 1", async () => {
  const cli = await serve(slowCalcProgram, ["--drain-timeout", "300"], { delayMs: 5_000 });
  const call = calc.sum({ values: [1] }, { timeoutMs: 3_000 }).catch((error: unknown) => error);
  await sleep(300);
  const signalledAt = Date.now();
  cli.child.kill("SIGTERM");
  expect(await cli.exited).toEqual({ code: 1, signal: null });
  expect(Date.now() - signalledAt).toBeLessThan(3_000);
  expect(cli.logs.at(-1)).toMatchObject({ level: "error", msg: "drain timed out: exiting with requests unanswered", drainTimeoutMs: 300 });
  await call;
});

test("a second signal during the drain exits at once with 128 + the signal number", async () => {
  const cli = await serve(slowCalcProgram, [], { delayMs: 5_000 });
  const call = calc.sum({ values: [1] }, { timeoutMs: 3_000 }).catch((error: unknown) => error);
  await sleep(300);
  cli.child.kill("SIGTERM");
  await cli.waitForLog((line) => line.msg === "stopping: answering requests in flight");
  const signalledAt = Date.now();
  cli.child.kill("SIGINT");
  expect(await cli.exited).toEqual({ code: 130, signal: null });
  expect(Date.now() - signalledAt).toBeLessThan(3_000);
  expect(cli.logs.at(-1)).toMatchObject({ level: "warn", msg: "second signal: exiting without waiting for requests in flight", signal: "SIGINT" });
  await call;
});

test("--workers 2: both workers answer, a killed worker is restarted, metrics cover both, SIGTERM stops all", async () => {
  const cli = await serve(calcProgram, ["--workers", "2", "--metrics-port", "0"], { instances: 2 });
  const metricsUrl = String(cli.logs.find((line) => line.msg === "starting workers")!["metrics"]);
  const workerPids = servingLines(cli).map((line) => line.pid);
  expect(new Set(workerPids).size).toBe(2);
  expect(workerPids).not.toContain(cli.child.pid);

  // Both workers are in the queue group: 40 calls reach both (all on one: a chance of 2^-39).
  const instances = servingLines(cli).map((line) => String(line["instance"]));
  for (let index = 0; index < 40; index++) {
    await calc.sum({ values: [index] });
  }
  const stats = JSON.parse((await runCli(calcProgram, ["stats", "--json", "--server", server.url])).stdout) as { id: string; endpoints: { num_requests: number }[] }[];
  expect(stats.map((reply) => reply.id).sort()).toEqual([...instances].sort());
  for (const reply of stats) {
    expect(reply.endpoints.reduce((sum, endpoint) => sum + endpoint.num_requests, 0)).toBeGreaterThan(0);
  }
  const metrics = await (await fetch(metricsUrl)).text();
  expect(metrics).toContain('nats_rpc_server_requests_total{service="Calc",method="Sum",code="ok"} 40');

  // A worker that dies is replaced, and the service keeps answering meanwhile. The requests the
  // dead worker had taken (at most one per lane) are lost with it: their callers time out.
  const lanes = 4;
  const load = loadUntilStopped(lanes, 1_000);
  await waitUntil(() => (load.outcomes.get("ok") ?? 0) >= 20);
  process.kill(workerPids[0]!, "SIGKILL");
  await cli.waitForLog((line) => line.msg === "worker exited: restarting");
  const okAtRestart = load.outcomes.get("ok") ?? 0;
  await cli.waitForLog(() => servingLines(cli).length === 3, 15_000);
  await waitUntil(() => (load.outcomes.get("ok") ?? 0) >= okAtRestart + 20);
  const outcomes = await load.stop();
  expect(Object.keys(outcomes).filter((code) => code !== "ok" && code !== "deadline_exceeded")).toEqual([]);
  expect(outcomes["deadline_exceeded"] ?? 0).toBeLessThanOrEqual(lanes);
  const ping = JSON.parse((await runCli(calcProgram, ["ping", "--json", "--server", server.url])).stdout) as unknown[];
  expect(ping).toHaveLength(2);

  cli.child.kill("SIGTERM");
  expect(await cli.exited).toEqual({ code: 0, signal: null });
  expect(cli.logs.filter((line) => line.msg === "worker stopped")).toHaveLength(2);
  for (const pid of [workerPids[1]!, servingLines(cli)[2]!.pid]) {
    expect(isRunning(pid)).toBe(false);
  }
});

test("--workers: a worker that cannot start stops the pool with its exit code", async () => {
  const result = await runCli(calcProgram, ["serve", "--workers", "2", "--server", "nats://127.0.0.1:1"]);
  expect(result.exitCode).toBe(78);
  expect(result.stdout).toContain('"msg":"worker failed before it served: stopping"');
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls a condition every 20 ms for at most 10 s.
async function waitUntil(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error("condition not met within 10 s");
    }
    await sleep(20);
  }
}
