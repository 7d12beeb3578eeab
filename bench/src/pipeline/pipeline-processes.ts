import { driveLoadClient, driveServer, forkQuietly, stopGently } from "../bench-processes.js";
import type { ServerUsage } from "../process-messages.js";
import type { JobProducerProcess } from "../jobs/jobs-processes.js";
import type { PipelineSystem } from "./pipeline-systems.js";

/** How long a child may take to start and connect (streams and consumers created). */
const startTimeoutMs = 30_000;
// Stops drain what they hold before they exit, which may take longer than a plain load client.
const exitGraceMs = 15_000;

/** One instance of each of a system's four stops, in a process of its own (pipeline-stops.ts). */
export interface PipelineStopsProcess {
  readonly system: PipelineSystem;
  readonly pid: number;
  usage(): Promise<ServerUsage>;
  stop(): Promise<void>;
}

/** The producer of a system (pipeline-producer.ts), connected and ready for runs: a load client, as a jobs producer is. */
export type PipelineProducerProcess = Omit<JobProducerProcess, "system"> & { readonly system: PipelineSystem };

/** Starts one instance of a system's stops, each taking `perStop` messages at once; `execArgv` passes node flags such as `--cpu-prof`. */
export async function startPipelineStops(system: PipelineSystem, url: string, perStop: number, execArgv: readonly string[] = []): Promise<PipelineStopsProcess> {
  const child = forkQuietly("pipeline-stops.js", [system, url, String(perStop)], execArgv, import.meta.url);
  const { pid, usage, stop } = await driveServer(child, `${system} pipeline stops`, startTimeoutMs, exitGraceMs);
  return { system, pid, usage: () => usage(), stop };
}

/** Starts the producer of a system. */
export async function startPipelineProducer(system: PipelineSystem, url: string, execArgv: readonly string[] = []): Promise<PipelineProducerProcess> {
  const child = forkQuietly("pipeline-producer.js", [system, url], execArgv, import.meta.url);
  const driven = await driveLoadClient(child, `${system} pipeline producer`, startTimeoutMs);
  return { system, run: driven.run, stop: () => stopGently(child, { type: "exit" }, exitGraceMs) };
}
