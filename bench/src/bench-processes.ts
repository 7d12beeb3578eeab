import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { CaseKind, ServerKind } from "./case-kinds.js";
import type { LoadClientCommand, LoadClientEvent, LoadRunRequest, LoadRunResult, ServerCommand, ServerEvent, ServerUsage } from "./process-messages.js";
import { stopChild } from "./start-nats-server.js";
import { waitForMessage } from "./wait-for-message.js";

/** How long a child may take to start and connect. */
const startTimeoutMs = 20_000;
/** How long a server may take to answer a usage question (a full GC included). */
const usageTimeoutMs = 10_000;

/** A server process started by the runner. */
export interface ServerProcess {
  readonly kind: ServerKind;
  readonly address: string;
  readonly pid: number;
  usage(collectGarbage?: boolean): Promise<ServerUsage>;
  stop(): Promise<void>;
}

/** A load client process started by the runner, connected to its case's server. */
export interface LoadClientProcess {
  readonly kind: CaseKind;
  /**
   * Runs a warm-up, calls `beforeMeasure` (which snapshots the servers' CPU), then the measured
   * run, and resolves with its figures. Bounded: the warm-up and the run each by their own bounds,
   * and the whole by `timeoutMs`.
   */
  run(request: Omit<LoadRunRequest, "type">, beforeMeasure: () => Promise<void>, timeoutMs: number): Promise<LoadRunResult>;
  stop(): Promise<void>;
}

const serverPrograms: Record<ServerKind, string> = {
  raw: "servers/serve-raw.js",
  "raw-v2": "servers/serve-raw-v2.js",
  generated: "servers/serve-generated.js",
  grpc: "servers/serve-grpc.js",
  http: "servers/serve-http.js",
};

/**
 * Forks a benchmark program (`program` relative to `base`, the caller's `import.meta.url`). No
 * inspector, no source maps: the children run as a deployed service would.
 */
export function forkQuietly(program: string, args: string[], execArgv: readonly string[], base: string = import.meta.url): ChildProcess {
  return fork(fileURLToPath(new URL(program, base)), args, { execArgv: [...execArgv], stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

/** Starts one server program; `execArgv` passes node flags such as `--expose-gc` or `--cpu-prof`. */
export async function startServerProcess(kind: ServerKind, natsUrl: string, execArgv: string[] = []): Promise<ServerProcess> {
  return { kind, ...(await driveServer(forkQuietly(serverPrograms[kind], [natsUrl], execArgv), `${kind} server`, startTimeoutMs)) };
}

/**
 * Waits for a forked server-like child (a server, a job worker, pipeline stops) to say it is ready,
 * then answers for it: its address, its usage on request, and a gentle stop (`exitGraceMs` before
 * SIGKILL). A child that is not ready in time is stopped and the error thrown.
 */
export async function driveServer(child: ChildProcess, what: string, readyTimeoutMs: number, exitGraceMs?: number): Promise<Omit<ServerProcess, "kind">> {
  try {
    const ready = await waitForMessage<ServerEvent, "ready">(child, what, ["ready"], readyTimeoutMs);
    return {
      address: ready.address,
      pid: child.pid!,
      async usage(collectGarbage = false) {
        const answer = waitForMessage<ServerEvent, "usage">(child, what, ["usage"], usageTimeoutMs);
        child.send({ type: "usage", collectGarbage } satisfies ServerCommand);
        return answer;
      },
      stop: () => stopGently(child, { type: "exit" } satisfies ServerCommand, exitGraceMs),
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** Starts the load client of a case against its server's address. */
export async function startLoadClientProcess(kind: CaseKind, address: string, execArgv: string[] = []): Promise<LoadClientProcess> {
  return { kind, ...(await driveLoadClient(forkQuietly("load-client.js", [kind.name, address], execArgv), `${kind.name} load client`, startTimeoutMs)) };
}

/**
 * Waits until a forked load client (a program that speaks `LoadClientCommand` and
 * `LoadClientEvent`) is ready, and drives its runs; ends it when it does not start.
 */
export async function driveLoadClient(child: ChildProcess, what: string, readyTimeoutMs: number): Promise<Omit<LoadClientProcess, "kind">> {
  try {
    await waitForMessage<LoadClientEvent, "ready">(child, what, ["ready"], readyTimeoutMs);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    async run(request, beforeMeasure, timeoutMs) {
      const warmed = waitForMessage<LoadClientEvent, "warmed">(child, what, ["warmed"], timeoutMs);
      child.send({ type: "run", ...request } satisfies LoadClientCommand);
      await warmed;
      await beforeMeasure();
      const result = waitForMessage<LoadClientEvent, "result">(child, what, ["result"], timeoutMs);
      child.send({ type: "measure" } satisfies LoadClientCommand);
      return result;
    },
    stop: () => stopGently(child, { type: "exit" } satisfies LoadClientCommand),
  };
}

/** Asks the child to exit (it closes its connections), and ends it if it does not within `graceMs`. */
export async function stopGently(child: ChildProcess, exitCommand: ServerCommand | LoadClientCommand, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    child.send(exitCommand);
  } catch {
    // The channel is already closed; the timer below ends the process.
  }
  const timer = setTimeout(() => void stopChild(child), graceMs);
  await exited;
  clearTimeout(timer);
}
