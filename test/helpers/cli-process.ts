import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { rootDirectory } from "./paths.js";
import { runProcess, type ProcessResult } from "./run-process.js";

/** The example's `calc` program, as `npx calc` runs it. */
export const calcProgram = join(rootDirectory, "example", "bin", "calc.js");

/** The calc command line with a slow `sum` (see the fixture), for tests of draining. */
export const slowCalcProgram = join(rootDirectory, "test", "fixtures", "slow-calc-cli.mjs");

/** Runs a CLI program to its end. */
export function runCli(program: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, [program, ...args], {
    timeoutMs: 15_000,
    env: { ...process.env, ...options.env },
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

/** One JSON line of a serving process's log. */
export type LogLine = Record<string, unknown> & { level: string; msg: string; pid: number };

/** A CLI process that runs until it is stopped, such as `calc serve`. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** Every JSON log line so far, in order. */
  readonly logs: LogLine[];
  /** Standard error so far. */
  stderr(): string;
  /** Resolves with the first log line (old or new) that matches, or rejects after `timeoutMs`. */
  waitForLog(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the process and everything it started, if still running. */
  kill(): Promise<void>;
}

/** Starts a long-running CLI command and collects its JSON log lines. */
export function startCli(program: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): RunningCli {
  // A process group of its own, so that kill() also ends the workers it forked.
  const child = spawn(process.execPath, [program, ...args], { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, ...options.env } });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  let partial = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines.filter((text) => text.trim() !== "")) {
      logs.push(JSON.parse(line) as LogLine);
    }
    waiters.forEach((wake) => wake());
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    waiters.forEach((wake) => wake());
  });

  const waitForLog = (matches: (line: LogLine) => boolean, timeoutMs = 10_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = logs.find(matches);
        if (found !== undefined) {
          finish();
          resolve(found);
        } else if (hasExited) {
          finish();
          reject(new Error(`process exited before the expected log line; logs:\n${logs.map((line) => JSON.stringify(line)).join("\n")}\nstderr:\n${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no matching log line within ${timeoutMs} ms; logs:\n${logs.map((line) => JSON.stringify(line)).join("\n")}\nstderr:\n${stderr}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return {
    child,
    logs,
    stderr: () => stderr,
    waitForLog,
    exited,
    kill: async () => {
      if (!hasExited) {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // Gone already.
        }
        await exited;
      }
    },
  };
}
