// The durable jobs benchmark: end-to-end jobs/s and latency (enqueue -> result) of the bench
// service's Score run as a job by ours (nats-micro-runtime/jobs), by BullMQ on the machine's Redis,
// and by a bare JetStream work queue (the ceiling), at 1, 16 and 128 jobs outstanding. Each system
// has a worker process and a producer process of its own; nats-server (with JetStream on a
// temporary store) is the benchmark's own. Everything is on 127.0.0.1 and stopped at the end.
import { processCpuMs } from "../process-cpu.js";
import type { Comparison, TargetCheck } from "../target-checks.js";
import { startBenchNatsServer } from "../start-nats-server.js";
import { spreadOf } from "../statistics.js";
import { busyShare, machineTicks } from "../gateway/process-tree-cpu.js";
import type { Stoppable } from "../gateway/gateway-benchmark.js";
import { jobSystems, jobSystemNames, type JobSystem, type JobSystemAddress } from "./job-systems.js";
import { startJobProducer, startJobWorker, type JobProducerProcess, type JobWorkerProcess } from "./jobs-processes.js";
import { openRedisStore } from "./redis-store.js";

/** What the jobs benchmark does; every count and duration is a bound. */
export interface JobsBenchmarkOptions {
  /** The systems to run, of {@link jobSystems}. */
  systems: readonly JobSystem[];
  /** Jobs outstanding at once: producers in the closed loop, each enqueueing and awaiting one job at a time. */
  outstanding: readonly number[];
  /** Interleaved repetitions of every system at every outstanding count. */
  repetitions: number;
  /** Each warm-up and each measured run ends after this many jobs or this long, whichever comes first. */
  warmupMs: number;
  durationMs: number;
  maxJobs: number;
  /** Jobs each worker runs at once. */
  concurrency: number;
  /** The machine's Redis, for BullMQ: `host:port`. */
  redisAddress: string;
  /** A directory for `--cpu-prof` profiles of the workers and producers, if any. */
  profileDirectory: string | undefined;
}

/** One measured run of one system at one outstanding count. */
export interface JobsRun {
  system: JobSystem;
  outstanding: number;
  repetition: number;
  jobs: number;
  elapsedMs: number;
  jobsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU per job (microseconds) of the producer, of the worker, and of nats-server or redis-server. */
  producerCpuUs: number;
  workerCpuUs: number;
  brokerCpuUs: number | undefined;
  /** Share of the whole machine busy during the run, everyone's work included (0 to 1). */
  machineBusy: number;
}

/** Everything the jobs benchmark measured. */
export interface JobsBenchmark {
  options: JobsBenchmarkOptions;
  natsServerVersion: string;
  /** Redis and BullMQ versions, when BullMQ ran. */
  redisVersion: string | undefined;
  bullmqVersion: string | undefined;
  ioredisVersion: string | undefined;
  /** BullMQ's key prefix of this run. */
  redisPrefix: string;
  systems: JobSystem[];
  /** What was left out and why (BullMQ without Redis), and what was cleaned up. */
  notes: string[];
  runs: JobsRun[];
  targets: TargetCheck[];
  comparisons: Comparison[];
}

/**
 * Runs the jobs benchmark. `track` receives everything started (the runner stops it on Ctrl-C);
 * everything is also stopped before this resolves or rejects. `log` gets a line per run.
 */
export async function runJobsBenchmark(options: JobsBenchmarkOptions, track: (started: Stoppable) => void, log: (line: string) => void): Promise<JobsBenchmark> {
  const started: Stoppable[] = [];
  const own = <T extends Stoppable>(thing: T): T => {
    started.push(thing);
    track(thing);
    return thing;
  };
  const notes: string[] = [];
  const redisPrefix = `bench-jobs-${process.pid}`;
  try {
    const natsServer = own(await startBenchNatsServer({ jetStream: true }));
    const opened = options.systems.includes("bullmq") ? await openRedisStore(options.redisAddress) : { unavailable: "not asked for" };
    const redis = "unavailable" in opened ? undefined : opened;
    const systems = jobSystems.filter((system) => options.systems.includes(system) && (system !== "bullmq" || redis !== undefined));
    if ("unavailable" in opened) {
      if (options.systems.includes("bullmq")) {
        notes.push(`BullMQ skipped: ${opened.unavailable}`);
        log(`  BullMQ skipped: ${opened.unavailable}`);
      }
    } else {
      // Stopped after BullMQ's worker and producer (things stop in the reverse order of their start).
      own(
        once(async () => {
          const deleted = await opened.deleteKeys(redisPrefix);
          notes.push(`Redis keys under ${redisPrefix}: ${deleted} deleted after the runs`);
          await opened.close();
        }),
      );
    }
    const rigs = new Map<JobSystem, { worker: JobWorkerProcess; producer: JobProducerProcess; brokerPid: number | undefined }>();
    for (const system of systems) {
      const address: JobSystemAddress = { url: system === "bullmq" ? options.redisAddress : natsServer.url, prefix: redisPrefix };
      const worker = own(await startJobWorker(system, address, options.concurrency, profileFlags(options, `jobs-worker-${system}`)));
      const producer = own(await startJobProducer(system, address, profileFlags(options, `jobs-producer-${system}`)));
      rigs.set(system, { worker, producer, brokerPid: system === "bullmq" ? redis?.pid : natsServer.pid });
    }

    const runs: JobsRun[] = [];
    // The warm-up, the run and the IPC around them, with room to spare on a loaded machine.
    const timeoutMs = options.warmupMs + options.durationMs + 60_000;
    for (let repetition = 1; repetition <= options.repetitions; repetition += 1) {
      for (const [index, outstanding] of options.outstanding.entries()) {
        // The order turns by one each time, so that a busy moment falls on every system alike.
        const turn = (repetition - 1 + index) % systems.length;
        for (const system of [...systems.slice(turn), ...systems.slice(0, turn)]) {
          const run = await measureSystem(system, rigs.get(system)!, outstanding, repetition, options, timeoutMs);
          log(`  ${system} x${outstanding} #${repetition}: ${Math.round(run.jobsPerSecond)} jobs/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms`);
          runs.push(run);
        }
      }
    }
    return {
      options,
      natsServerVersion: natsServer.version,
      redisVersion: redis?.version,
      bullmqVersion: redis?.bullmqVersion,
      ioredisVersion: redis?.ioredisVersion,
      redisPrefix,
      systems,
      notes,
      runs,
      targets: jobsTargets(runs, options),
      comparisons: latencyComparisons(runs, options),
    };
  } finally {
    // The producers, then the workers, then Redis's keys, then nats-server (and its store).
    for (const thing of started.reverse()) {
      await thing.stop().catch((error: unknown) => log(`  stopping: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
}

async function measureSystem(
  system: JobSystem,
  rig: { worker: JobWorkerProcess; producer: JobProducerProcess; brokerPid: number | undefined },
  outstanding: number,
  repetition: number,
  options: JobsBenchmarkOptions,
  timeoutMs: number,
): Promise<JobsRun> {
  const brokerCpuMs = () => (rig.brokerPid === undefined ? Number.NaN : processCpuMs(rig.brokerPid));
  let before = { worker: 0, broker: 0, machine: machineTicks() };
  const result = await rig.producer.run(
    { inFlight: outstanding, warmupRequests: options.maxJobs, warmupMs: options.warmupMs, requests: options.maxJobs, durationMs: options.durationMs },
    async () => {
      before = { worker: (await rig.worker.usage()).cpuMs, broker: brokerCpuMs(), machine: machineTicks() };
    },
    timeoutMs,
  );
  const machine = machineTicks();
  const broker = brokerCpuMs();
  const worker = (await rig.worker.usage()).cpuMs;
  const perJobUs = (cpuMs: number) => (cpuMs * 1_000) / Math.max(1, result.requests);
  return {
    system,
    outstanding,
    repetition,
    jobs: result.requests,
    elapsedMs: result.elapsedMs,
    jobsPerSecond: (result.requests * 1_000) / result.elapsedMs,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    producerCpuUs: perJobUs(result.cpuMs),
    workerCpuUs: perJobUs(worker - before.worker),
    brokerCpuUs: rig.brokerPid === undefined ? undefined : perJobUs(broker - before.broker),
    machineBusy: busyShare(before.machine, machine),
  };
}

/**
 * The goals: ours at least BullMQ's jobs/s, and at least 0.7 of the bare JetStream loop's, at
 * every outstanding count; each ratio taken within a repetition (the runs were moments apart), the
 * median held to the bound. A system that did not run leaves its targets out.
 */
function jobsTargets(runs: readonly JobsRun[], options: JobsBenchmarkOptions): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const outstanding of options.outstanding) {
    for (const [base, limit] of [
      ["bullmq", 1],
      ["bare", 0.7],
    ] as const) {
      const ratios = ratiosPerRepetition(runs, "ours", base, "jobsPerSecond", outstanding, options.repetitions);
      if (ratios.length > 0) {
        const ratio = spreadOf(ratios);
        checks.push({ name: `ours / ${jobSystemNames[base]} jobs/s at ${outstanding} outstanding`, ratio, bound: "at least", limit, met: ratio.median >= limit });
      }
    }
  }
  return checks;
}

/** p50 and p99 of ours against each other system, without a bound. */
function latencyComparisons(runs: readonly JobsRun[], options: JobsBenchmarkOptions): Comparison[] {
  const comparisons: Comparison[] = [];
  for (const outstanding of options.outstanding) {
    for (const base of ["bullmq", "bare"] as const) {
      for (const figure of ["p50Ms", "p99Ms"] as const) {
        const ratios = ratiosPerRepetition(runs, "ours", base, figure, outstanding, options.repetitions);
        if (ratios.length > 0) {
          comparisons.push({ name: `ours / ${jobSystemNames[base]} ${figure === "p50Ms" ? "p50" : "p99"} latency at ${outstanding} outstanding`, ratio: spreadOf(ratios) });
        }
      }
    }
  }
  return comparisons;
}

function ratiosPerRepetition(runs: readonly JobsRun[], subject: JobSystem, base: JobSystem, figure: "jobsPerSecond" | "p50Ms" | "p99Ms", outstanding: number, repetitions: number): number[] {
  const ratios: number[] = [];
  for (let repetition = 1; repetition <= repetitions; repetition += 1) {
    const find = (system: JobSystem) => runs.find((run) => run.system === system && run.outstanding === outstanding && run.repetition === repetition);
    const [subjectRun, baseRun] = [find(subject), find(base)];
    if (subjectRun !== undefined && baseRun !== undefined) {
      ratios.push(subjectRun[figure] / baseRun[figure]);
    }
  }
  return ratios;
}

// node --cpu-prof for the processes of a run with --profile.
function profileFlags(options: JobsBenchmarkOptions, name: string): string[] {
  return options.profileDirectory === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.profileDirectory}`, `--cpu-prof-name=${name}.cpuprofile`];
}

// A stop that runs once, however often it is asked (by this benchmark and by the runner on Ctrl-C).
function once(stop: () => Promise<void>): Stoppable {
  let stopped: Promise<void> | undefined;
  return { stop: () => (stopped ??= stop()) };
}
