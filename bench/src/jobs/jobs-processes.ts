import { driveLoadClient, driveServer, forkQuietly, stopGently } from "../bench-processes.js";
import type { LoadRunRequest, LoadRunResult, ServerUsage } from "../process-messages.js";
import type { JobSystem, JobSystemAddress } from "./job-systems.js";

/** How long a child may take to start and connect (JetStream streams and consumers created). */
const startTimeoutMs = 30_000;

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

// Jobs children close JetStream or Redis clients on exit, which may take longer than a plain load client.
const exitGraceMs = 15_000;

/** Starts the worker of a system with `concurrency` jobs at once; `execArgv` passes node flags such as `--cpu-prof`. */
export async function startJobWorker(system: JobSystem, address: JobSystemAddress, concurrency: number, execArgv: readonly string[] = []): Promise<JobWorkerProcess> {
  const child = forkQuietly("jobs-worker.js", [system, address.url, String(concurrency), address.prefix], execArgv, import.meta.url);
  const { pid, usage, stop } = await driveServer(child, `${system} jobs worker`, startTimeoutMs, exitGraceMs);
  return { system, pid, usage: () => usage(), stop };
}

/** Starts the producer of a system. */
export async function startJobProducer(system: JobSystem, address: JobSystemAddress, execArgv: readonly string[] = []): Promise<JobProducerProcess> {
  const child = forkQuietly("jobs-producer.js", [system, address.url, address.prefix], execArgv, import.meta.url);
  const driven = await driveLoadClient(child, `${system} jobs producer`, startTimeoutMs);
  return { system, run: driven.run, stop: () => stopGently(child, { type: "exit" }, exitGraceMs) };
}
