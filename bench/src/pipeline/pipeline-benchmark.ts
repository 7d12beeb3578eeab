// The pipeline benchmark: account records per second through the metrobus example's four stops
// (BusDriver → ContactPoint → Whitelist → LogStop) on JetStream, and the time each hop adds, by
// ours (servePipeline of nats-micro-runtime/pipeline, the routing slip in headers) against a bare
// chain of the same length written directly with @nats-io/jetstream (consume → publish → ack), in
// the same run. One, then two instances of every stop (a process with the four stops each); a
// producer per system keeps N records on the route. nats-server (JetStream on a temporary store)
// is the benchmark's own. Everything is on 127.0.0.1 and stopped at the end.
import type { Stoppable } from "../gateway/gateway-benchmark.js";
import { busyShare, machineTicks } from "../gateway/process-tree-cpu.js";
import { processCpuMs } from "../process-cpu.js";
import { startBenchNatsServer } from "../start-nats-server.js";
import { spreadOf, type Spread } from "../statistics.js";
import type { Comparison, TargetCheck } from "../target-checks.js";
import { startPipelineProducer, startPipelineStops, type PipelineProducerProcess, type PipelineStopsProcess } from "./pipeline-processes.js";
import { benchStops, pipelineSystemNames, pipelineSystems, type PipelineSystem } from "./pipeline-systems.js";

/** What the pipeline benchmark does; every count and duration is a bound. */
export interface PipelineBenchmarkOptions {
  /** The systems to run (both unless asked otherwise: to profile one alone, say). */
  systems: readonly PipelineSystem[];
  /** Instances of every stop, in rising order: each step starts more stop processes. */
  instances: readonly number[];
  /** Records on the route at once: callers in the closed loop. */
  outstanding: readonly number[];
  /** Interleaved repetitions of both systems at every instance and outstanding count. */
  repetitions: number;
  /** Each warm-up and each measured run ends after this many records or this long, whichever comes first. */
  warmupMs: number;
  durationMs: number;
  maxRecords: number;
  /** Records each instance of a stop handles at once. */
  perStop: number;
  /** A directory for `--cpu-prof` profiles of the stops and producers, if any. */
  profileDirectory: string | undefined;
}

/** One measured run of one system. */
export interface PipelineRun {
  system: PipelineSystem;
  instances: number;
  outstanding: number;
  repetition: number;
  records: number;
  elapsedMs: number;
  recordsPerSecond: number;
  /** From the start of a record to the last stop's announcement, in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /** CPU per record (microseconds) of the producer, of all stop processes, and of nats-server. */
  producerCpuUs: number;
  stopsCpuUs: number;
  brokerCpuUs: number;
  /** Share of the whole machine busy during the run, everyone's work included (0 to 1). */
  machineBusy: number;
}

/** The time each hop adds, ours against the bare chain: (ours - bare) / hops, within each repetition. */
export interface HopCost {
  instances: number;
  outstanding: number;
  p50Ms: Spread;
  p99Ms: Spread;
}

/** Everything the pipeline benchmark measured. */
export interface PipelineBenchmark {
  options: PipelineBenchmarkOptions;
  natsServerVersion: string;
  runs: PipelineRun[];
  hopCosts: HopCost[];
  targets: TargetCheck[];
  comparisons: Comparison[];
}

/** The hops a record makes: the producer's publish to the first stop, then one per stop after it. */
export const hops = benchStops.length;

/**
 * Runs the pipeline benchmark. `track` receives everything started (the runner stops it on
 * Ctrl-C); everything is also stopped before this resolves or rejects. `log` gets a line per run.
 */
export async function runPipelineBenchmark(options: PipelineBenchmarkOptions, track: (started: Stoppable) => void, log: (line: string) => void): Promise<PipelineBenchmark> {
  const started: Stoppable[] = [];
  const own = <T extends Stoppable>(thing: T): T => {
    started.push(thing);
    track(thing);
    return thing;
  };
  try {
    const natsServer = own(await startBenchNatsServer({ jetStream: true }));
    const systems = pipelineSystems.filter((system) => options.systems.includes(system));
    const stops = new Map<PipelineSystem, PipelineStopsProcess[]>(systems.map((system) => [system, []]));
    const producers = new Map<PipelineSystem, PipelineProducerProcess>();
    const runs: PipelineRun[] = [];
    // The warm-up, the run and the IPC around them, with room to spare on a loaded machine.
    const timeoutMs = options.warmupMs + options.durationMs + 60_000;
    for (const instances of options.instances) {
      for (const system of systems) {
        const running = stops.get(system)!;
        while (running.length < instances) {
          running.push(own(await startPipelineStops(system, natsServer.url, options.perStop, profileFlags(options, `pipeline-stops-${system}-${running.length + 1}`))));
        }
        if (!producers.has(system)) {
          producers.set(system, own(await startPipelineProducer(system, natsServer.url, profileFlags(options, `pipeline-producer-${system}`))));
        }
      }
      for (let repetition = 1; repetition <= options.repetitions; repetition += 1) {
        for (const [index, outstanding] of options.outstanding.entries()) {
          // The order turns each time, so that a busy moment falls on both systems alike.
          const turn = (repetition - 1 + index) % systems.length;
          for (const system of [...systems.slice(turn), ...systems.slice(0, turn)]) {
            const run = await measureSystem(system, producers.get(system)!, stops.get(system)!, natsServer.pid, { instances, outstanding, repetition }, options, timeoutMs);
            log(
              `  ${system} ${instances} instance(s) x${outstanding} #${repetition}: ${Math.round(run.recordsPerSecond)} records/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms`,
            );
            runs.push(run);
          }
        }
      }
    }
    return { options, natsServerVersion: natsServer.version, runs, hopCosts: hopCosts(runs, options), targets: pipelineTargets(runs, options), comparisons: latencyComparisons(runs, options) };
  } finally {
    // The producers and the stops (the last started first), then nats-server and its store.
    for (const thing of started.reverse()) {
      await thing.stop().catch((error: unknown) => log(`  stopping: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
}

async function measureSystem(
  system: PipelineSystem,
  producer: PipelineProducerProcess,
  stops: readonly PipelineStopsProcess[],
  brokerPid: number,
  at: { instances: number; outstanding: number; repetition: number },
  options: PipelineBenchmarkOptions,
  timeoutMs: number,
): Promise<PipelineRun> {
  const stopsCpuMs = () => stops.reduce((sum, process) => sum + processCpuMs(process.pid), 0);
  let before = { stops: 0, broker: 0, machine: machineTicks() };
  const result = await producer.run(
    { inFlight: at.outstanding, warmupRequests: options.maxRecords, warmupMs: options.warmupMs, requests: options.maxRecords, durationMs: options.durationMs },
    async () => {
      before = { stops: stopsCpuMs(), broker: processCpuMs(brokerPid), machine: machineTicks() };
    },
    timeoutMs,
  );
  const machine = machineTicks();
  const perRecordUs = (cpuMs: number) => (cpuMs * 1_000) / Math.max(1, result.requests);
  return {
    system,
    ...at,
    records: result.requests,
    elapsedMs: result.elapsedMs,
    recordsPerSecond: (result.requests * 1_000) / result.elapsedMs,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    producerCpuUs: perRecordUs(result.cpuMs),
    stopsCpuUs: perRecordUs(stopsCpuMs() - before.stops),
    brokerCpuUs: perRecordUs(processCpuMs(brokerPid) - before.broker),
    machineBusy: busyShare(before.machine, machine),
  };
}

type Figure = "recordsPerSecond" | "p50Ms" | "p99Ms";

// Ours against the bare chain within each repetition (the two runs were moments apart).
function pairs(runs: readonly PipelineRun[], instances: number, outstanding: number, repetitions: number): [PipelineRun, PipelineRun][] {
  const found: [PipelineRun, PipelineRun][] = [];
  for (let repetition = 1; repetition <= repetitions; repetition += 1) {
    const find = (system: PipelineSystem) => runs.find((run) => run.system === system && run.instances === instances && run.outstanding === outstanding && run.repetition === repetition);
    const [ours, bare] = [find("ours"), find("bare")];
    if (ours !== undefined && bare !== undefined) {
      found.push([ours, bare]);
    }
  }
  return found;
}

function ratios(runs: readonly PipelineRun[], figure: Figure, instances: number, outstanding: number, repetitions: number): number[] {
  return pairs(runs, instances, outstanding, repetitions).map(([ours, bare]) => ours[figure] / bare[figure]);
}

/** The goal: ours at least 0.7 of the bare chain's records/s, at every instance and outstanding count. */
function pipelineTargets(runs: readonly PipelineRun[], options: PipelineBenchmarkOptions): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const instances of options.instances) {
    for (const outstanding of options.outstanding) {
      const found = ratios(runs, "recordsPerSecond", instances, outstanding, options.repetitions);
      if (found.length > 0) {
        const ratio = spreadOf(found);
        checks.push({
          name: `ours / ${pipelineSystemNames.bare} records/s, ${instances} instance(s) per stop, ${outstanding} outstanding`,
          ratio,
          bound: "at least",
          limit: 0.7,
          met: ratio.median >= 0.7,
        });
      }
    }
  }
  return checks;
}

/** p50 and p99 of ours against the bare chain, without a bound. */
function latencyComparisons(runs: readonly PipelineRun[], options: PipelineBenchmarkOptions): Comparison[] {
  return options.instances.flatMap((instances) =>
    options.outstanding.flatMap((outstanding) =>
      (["p50Ms", "p99Ms"] as const).flatMap((figure) => {
        const found = ratios(runs, figure, instances, outstanding, options.repetitions);
        const name = `ours / ${pipelineSystemNames.bare} ${figure === "p50Ms" ? "p50" : "p99"} latency, ${instances} instance(s), ${outstanding} outstanding`;
        return found.length === 0 ? [] : [{ name, ratio: spreadOf(found) }];
      }),
    ),
  );
}

function hopCosts(runs: readonly PipelineRun[], options: PipelineBenchmarkOptions): HopCost[] {
  return options.instances.flatMap((instances) =>
    options.outstanding.flatMap((outstanding) => {
      const found = pairs(runs, instances, outstanding, options.repetitions);
      if (found.length === 0) {
        return [];
      }
      const added = (figure: "p50Ms" | "p99Ms") => spreadOf(found.map(([ours, bare]) => (ours[figure] - bare[figure]) / hops));
      return [{ instances, outstanding, p50Ms: added("p50Ms"), p99Ms: added("p99Ms") }];
    }),
  );
}

// node --cpu-prof for the processes of a run with --profile.
function profileFlags(options: PipelineBenchmarkOptions, name: string): string[] {
  return options.profileDirectory === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.profileDirectory}`, `--cpu-prof-name=${name}.cpuprofile`];
}
