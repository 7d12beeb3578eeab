import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "undici";
import { stopChild } from "../start-nats-server.js";
import { footballProgram } from "./football-example.js";
import { freePort } from "./free-port.js";
import { descendantPids } from "./process-tree-cpu.js";

/** A `football` command running for the benchmark: `serve` (the workers) or `gateway`. */
export interface FootballCommand {
  readonly pid: number;
  /** Ends the command (SIGTERM, so that it drains) and any worker it leaves behind. */
  stop(): Promise<void>;
}

/** A gateway command that answers `/readyz`. */
export interface FootballGateway extends FootballCommand {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly workers: number;
}

const startTimeoutMs = 30_000;

/**
 * Starts `football serve --workers N` (N worker processes in the queue group, node:cluster), with
 * `serveArgs` after it (`--jobs` ...), and resolves once every worker has logged that it serves.
 */
export async function startFootballWorkers(natsUrl: string, workers: number, serveArgs: readonly string[] = []): Promise<FootballCommand> {
  const child = startFootball(["-s", natsUrl, "serve", "--workers", String(workers), ...serveArgs], []);
  return waitForLogLines(child, "serving", workers, ["football serve --workers", workers, ...serveArgs].join(" "));
}

/**
 * Starts `football gateway --listen 127.0.0.1:PORT --workers N --json-names proto` on a free port,
 * with `gatewayArgs` after it (`--jobs`) and `execArgv` as node flags (`--cpu-prof`: cluster
 * workers inherit them), and resolves once every process serves and `/readyz` answers 200 (an
 * instance of the service answers a ping).
 */
export async function startFootballGateway(natsUrl: string, workers: number, execArgv: readonly string[], gatewayArgs: readonly string[] = []): Promise<FootballGateway> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const what = ["football gateway --workers", workers, ...gatewayArgs].join(" ");
  const child = startFootball(["-s", natsUrl, "gateway", "--listen", `127.0.0.1:${port}`, "--workers", String(workers), "--json-names", "proto", ...gatewayArgs], execArgv);
  const command = await waitForLogLines(child, "gateway serving", workers, what);
  try {
    await waitUntilReady(origin, what);
  } catch (error) {
    await command.stop();
    throw error;
  }
  return { ...command, origin, workers };
}

function startFootball(args: readonly string[], execArgv: readonly string[]): ChildProcess {
  if (!existsSync(footballProgram)) {
    throw new Error(`${footballProgram} is missing: the football example is part of the workspace`);
  }
  return spawn(process.execPath, [...execArgv, footballProgram, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

// Reads the command's JSON log lines (pino, on stdout; cluster workers share the primary's) until
// `count` of them carry the message, keeping the last lines of both streams for the error.
function waitForLogLines(child: ChildProcess, message: string, count: number, what: string): Promise<FootballCommand> {
  const stop = () => stopTree(child);
  return new Promise((resolve, reject) => {
    let seen = 0;
    let pending = "";
    let tail = "";
    const keep = (text: string) => (tail = (tail + text).slice(-4_000));
    const fail = (reason: string) => {
      clearTimeout(timer);
      void stop().finally(() => reject(new Error(`${what}: ${reason}\n${tail}`)));
    };
    const timer = setTimeout(() => fail(`not serving within ${startTimeoutMs} ms`), startTimeoutMs);
    child.once("error", (error) => fail(error.message));
    child.once("exit", (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before it served`));
    child.stderr!.on("data", (chunk: Buffer) => keep(chunk.toString()));
    child.stdout!.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      keep(text);
      if (seen >= count) {
        return;
      }
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.includes(`"msg":"${message}"`)) {
          seen += 1;
        }
      }
      if (seen >= count) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.removeAllListeners("error");
        resolve({ pid: child.pid!, stop });
      }
    });
  });
}

// Polls /readyz, a bounded number of times.
async function waitUntilReady(origin: string, what: string): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await request(`${origin}/readyz`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
      last = `${response.statusCode} ${(await response.body.text()).trim()}`;
      if (response.statusCode === 200) {
        return;
      }
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: /readyz did not answer 200 within ${startTimeoutMs} ms (last: ${last})`);
}

// SIGTERM to the command (its primary stops its workers and they drain), then SIGKILL to any of
// its processes still there a few seconds later.
async function stopTree(child: ChildProcess): Promise<void> {
  const descendants = child.pid === undefined ? [] : descendantPids(child.pid);
  await stopChild(child);
  for (let wait = 0; wait < 50 && descendants.some(alive); wait++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const pid of descendants.filter(alive)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone in the meantime.
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
