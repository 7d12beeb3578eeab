import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "undici";
import { descendantPids } from "./gateway/process-tree-cpu.js";
import { stopChild } from "./start-nats-server.js";

/** A program of the project running for a benchmark, with its node:cluster workers if it has any. */
export interface ProgramProcess {
  readonly pid: number;
  /** The last few thousand characters it wrote (both streams), to say what went on when a run goes wrong. */
  recentOutput(): string;
  /** Ends the program (SIGTERM, so that it drains) and any worker it leaves behind. */
  stop(): Promise<void>;
}

/** What {@link startProgramProcess} runs and what tells that it is up. */
export interface ProgramStart {
  /** The program's script, run by this node (`examples/football/bin/football.js`). */
  readonly program: string;
  readonly args: readonly string[];
  /** Node flags (`--cpu-prof`: cluster workers inherit them). */
  readonly execArgv?: readonly string[];
  /** The `msg` of the JSON log line (pino, on stdout) each process logs once it serves. */
  readonly readyMessage: string;
  /** How many such lines: one per worker process. */
  readonly readyCount: number;
  /** The command in words, for errors. */
  readonly what: string;
}

const startTimeoutMs = 30_000;

/**
 * Starts a program of the project (`football serve --workers 2`, `movies gateway` ...) and
 * resolves once `readyCount` of its log lines carry `readyMessage`; rejects with the last lines of
 * its output when it exits first or takes longer than 30 s.
 */
export async function startProgramProcess(start: ProgramStart): Promise<ProgramProcess> {
  if (!existsSync(start.program)) {
    throw new Error(`${start.program} is missing: build the workspace first (npm run build)`);
  }
  const child = spawn(process.execPath, [...(start.execArgv ?? []), start.program, ...start.args], { stdio: ["ignore", "pipe", "pipe"] });
  return waitForLogLines(child, start.readyMessage, start.readyCount, start.what);
}

// Reads the command's JSON log lines (pino, on stdout; cluster workers share the primary's) until
// `count` of them carry the message, keeping the last lines of both streams for the error.
function waitForLogLines(child: ChildProcess, message: string, count: number, what: string): Promise<ProgramProcess> {
  const stop = () => stopProcessTree(child);
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
        resolve({ pid: child.pid!, recentOutput: () => tail, stop });
      }
    });
  });
}

/** Polls `url` (a `/readyz` or `/healthz`) until it answers 200, for at most 30 s. */
export async function waitUntilHttpReady(url: string, what: string): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000 });
      last = `${response.statusCode} ${(await response.body.text()).trim()}`;
      if (response.statusCode === 200) {
        return;
      }
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: ${url} did not answer 200 within ${startTimeoutMs} ms (last: ${last})`);
}

/**
 * SIGTERM to the command (a primary stops its workers and they drain), then SIGKILL to any of its
 * processes still there a few seconds later.
 */
export async function stopProcessTree(child: ChildProcess): Promise<void> {
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
