import type { CaseKind, ServerKind } from "./case-kinds.js";
import type { LoadClientProcess, ServerProcess } from "./bench-processes.js";
import { processCpuMs } from "./process-cpu.js";

/** The figures of one measured run of one case. */
export interface CaseRun {
  kind: string;
  inFlight: number;
  repetition: number;
  requests: number;
  elapsedMs: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time per request, in microseconds, of the timed client, the server, and nats-server (NATS cases only). */
  clientCpuUs: number;
  serverCpuUs: number;
  natsServerCpuUs: number | undefined;
}

/** What the cases run against. */
export interface CaseRig {
  servers: ReadonlyMap<ServerKind, ServerProcess>;
  clients: ReadonlyMap<string, LoadClientProcess>;
  natsServerPid: number;
}

/** Bounds of each run. */
export interface RunBounds {
  warmupRequests: number;
  warmupMs: number;
  requests: number;
  durationMs: number;
}

/**
 * Runs every case at every in-flight setting, repetition by repetition, so that a slow moment of
 * a busy machine falls on all cases alike rather than on one; within a repetition the order of the
 * cases turns by one each time, so that no case always follows the same one.
 */
export async function measureCases(
  rig: CaseRig,
  cases: readonly CaseKind[],
  inFlight: readonly number[],
  repetitions: number,
  bounds: RunBounds,
  onRun: (run: CaseRun) => void,
): Promise<CaseRun[]> {
  const runs: CaseRun[] = [];
  // The warm-up, the run and the IPC around them, with room to spare on a loaded machine.
  const timeoutMs = bounds.warmupMs + bounds.durationMs + 60_000;
  for (let repetition = 1; repetition <= repetitions; repetition += 1) {
    for (const [index, requestsInFlight] of inFlight.entries()) {
      const turn = (repetition - 1 + index) % cases.length;
      for (const kind of [...cases.slice(turn), ...cases.slice(0, turn)]) {
        const run = await measureCase(rig, kind, requestsInFlight, repetition, bounds, timeoutMs);
        runs.push(run);
        onRun(run);
      }
    }
  }
  return runs;
}

async function measureCase(rig: CaseRig, kind: CaseKind, inFlight: number, repetition: number, bounds: RunBounds, timeoutMs: number): Promise<CaseRun> {
  const server = rig.servers.get(kind.server);
  const client = rig.clients.get(kind.name);
  if (server === undefined || client === undefined) {
    throw new Error(`case ${kind.name} has no ${server === undefined ? "server" : "load client"}`);
  }
  let serverCpuBefore = 0;
  let natsCpuBefore = 0;
  const result = await client.run(
    { inFlight, warmupRequests: bounds.warmupRequests, warmupMs: bounds.warmupMs, requests: bounds.requests, durationMs: bounds.durationMs },
    async () => {
      serverCpuBefore = (await server.usage()).cpuMs;
      natsCpuBefore = processCpuMs(rig.natsServerPid);
    },
    timeoutMs,
  );
  const natsCpuMs = processCpuMs(rig.natsServerPid) - natsCpuBefore;
  const serverCpuMs = (await server.usage()).cpuMs - serverCpuBefore;
  const perRequestUs = (cpuMs: number) => (cpuMs * 1_000) / Math.max(1, result.requests);
  return {
    kind: kind.name,
    inFlight,
    repetition,
    requests: result.requests,
    elapsedMs: result.elapsedMs,
    requestsPerSecond: (result.requests * 1_000) / result.elapsedMs,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    clientCpuUs: perRequestUs(result.cpuMs),
    serverCpuUs: perRequestUs(serverCpuMs),
    natsServerCpuUs: kind.nats === undefined ? undefined : perRequestUs(natsCpuMs),
  };
}
