import { spawn } from "node:child_process";

/** How a process ended, with everything it wrote. */
export interface ProcessResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where and for how long a process runs. */
export interface RunProcessOptions {
  /** The working directory; the current one unless set. */
  readonly cwd?: string;
  /** The environment; the test's own unless set. */
  readonly env?: NodeJS.ProcessEnv;
  /** The process and everything it started are killed after this long, and the promise rejects. */
  readonly timeoutMs: number;
  /** Written to the process's standard input, which is then closed; no input unless set. */
  readonly input?: string;
}

/**
 * Runs a command to its end and resolves with its exit code and output, whatever the exit code.
 * Rejects when the command cannot be started or runs out of time. The command runs in a process
 * group of its own, so that a timeout also ends what it started (buf's plugins, for one).
 */
export function runProcess(command: string, args: readonly string[], options: RunProcessOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      detached: true,
    });
    child.stdin?.end(options.input);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    const commandLine = [command, ...args].join(" ");
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // The group has already gone.
      }
    }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${commandLine}: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const output = { stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") };
      if (timedOut) {
        reject(new Error(`${commandLine} did not finish within ${options.timeoutMs} ms:\n${output.stderr}`));
      } else if (code === null) {
        reject(new Error(`${commandLine} was killed by ${signal ?? "a signal"}:\n${output.stderr}`));
      } else {
        resolve({ exitCode: code, ...output });
      }
    });
  });
}
