import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LoadClientCommand, LoadClientEvent, LoadRunRequest, LoadRunResult, ServerCommand, ServerEvent, ServerUsage } from "../process-messages.js";
import { stopChild } from "../start-nats-server.js";
import { waitForMessage } from "../wait-for-message.js";
import type { JobSystem, JobSystemAddress } from "./job-systems.js";

/** How long a child may take to start and connect (JetStream streams and consumers created). */
const startTimeoutMs = 30_000;
/** How long a worker may take to answer a usage question. */
const usageTimeoutMs = 10_000;

/** The worker process of a system (jobs-worker.ts). */
export interface JobWorkerProcess {
  readonly system: JobSystem;
  readonly pid: number;
  usage(): Promise<ServerUsage>;
  stop(): Promise<void>;
}

/** The producer process of a system (jobs-producer.ts), connected and ready for runs. */
export interface JobProducerProcess {
  readonly system: JobSystem;
  /**
   * Runs a warm-up, calls `beforeMeasure` (which snapshots the CPU counters), then the measured
   * run, and resolves with its figures; the whole bounded by `timeoutMs`.
   */
  run(request: Omit<LoadRunRequest, "type">, beforeMeasure: () => Promise<void>, timeoutMs: number): Promise<LoadRunResult>;
  stop(): Promise<void>;
}

// No inspector, no source maps: the children run as a deployed service would.
function forkQuietly(program: string, args: string[], execArgv: readonly string[]): ChildProcess {
  return fork(fileURLToPath(new URL(program, import.meta.url)), args, { execArgv: [...execArgv], stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

/** Starts the worker of a system with `concurrency` jobs at once; `execArgv` passes node flags such as `--cpu-prof`. */
export async function startJobWorker(system: JobSystem, address: JobSystemAddress, concurrency: number, execArgv: readonly string[] = []): Promise<JobWorkerProcess> {
  const child = forkQuietly("jobs-worker.js", [system, address.url, String(concurrency), address.prefix], execArgv);
  const what = `${system} jobs worker`;
  try {
    await waitForMessage<ServerEvent, "ready">(child, what, ["ready"], startTimeoutMs);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    system,
    pid: child.pid!,
    async usage() {
      const answer = waitForMessage<ServerEvent, "usage">(child, what, ["usage"], usageTimeoutMs);
      child.send({ type: "usage", collectGarbage: false } satisfies ServerCommand);
      return answer;
    },
    stop: () => stopGently(child, { type: "exit" } satisfies ServerCommand),
  };
}

/** Starts the producer of a system. */
export async function startJobProducer(system: JobSystem, address: JobSystemAddress, execArgv: readonly string[] = []): Promise<JobProducerProcess> {
  const child = forkQuietly("jobs-producer.js", [system, address.url, address.prefix], execArgv);
  const what = `${system} jobs producer`;
  try {
    await waitForMessage<LoadClientEvent, "ready">(child, what, ["ready"], startTimeoutMs);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    system,
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

// Asks the child to exit (it closes its connections), and ends it if it does not within a few seconds.
async function stopGently(child: ChildProcess, exitCommand: ServerCommand | LoadClientCommand): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    child.send(exitCommand);
  } catch {
    // The channel is already closed; the timer below ends the process.
  }
  const timer = setTimeout(() => void stopChild(child), 15_000);
  await exited;
  clearTimeout(timer);
}
