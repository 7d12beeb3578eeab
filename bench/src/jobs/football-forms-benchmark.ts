// Seed 001's question, measured: the football example in its request form (`football gateway`
// -> NATS request -> `football serve`) and in its job form (`football gateway --jobs` -> JetStream
// work queue -> `football serve --jobs`), each with two worker processes. Phase one: the seed's
// `ab` at each connection count, in interleaved repetitions, with the seed's basic form (one
// fastify process doing the maths itself) beside them. Phase two: a closed loop of POSTs during
// which one of the two workers is killed with SIGKILL, or hangs (SIGSTOP, SIGCONT some seconds
// later), counting the requests that did not get a 2xx. Everything runs on 127.0.0.1 and is
// stopped at the end.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processCpuMs } from "../process-cpu.js";
import { startBenchNatsServer, type BenchNatsServer } from "../start-nats-server.js";
import { footballPath, footballRequestBody } from "../gateway/football-example.js";
import { startFootballGateway, startFootballWorkers, type FootballCommand, type FootballGateway } from "../gateway/football-rig.js";
import { busyShare, machineTicks, processTreeCpuMs } from "../gateway/process-tree-cpu.js";
import { startFastify, type Stoppable } from "../gateway/gateway-benchmark.js";
import { abArguments, abVersion, runAb } from "../gateway/run-ab.js";
import { runHttpClosedLoop } from "./http-closed-loop.js";

/**
 * The forms of the seed: `basic`, one REST process doing the maths (fastify); `requests`, the
 * gateway's NATS request answered by whichever worker takes it; `jobs`, a durable job.
 */
export type FootballForm = "basic" | "requests" | "jobs";

/** The forms with workers behind a gateway. */
export type GatewayForm = Exclude<FootballForm, "basic">;

/** What the benchmark does; every count is a bound. */
export interface FootballFormsOptions {
  /** `ab -n` of each throughput run. */
  requests: number;
  /** Interleaved repetitions of both forms at every connection count. */
  repetitions: number;
  /** `ab -c` settings. */
  connections: readonly number[];
  /** Requests of each run with a worker killed or hung; it happens when a third of them are answered. */
  failureRequests: number;
  /** Connections of the runs with a worker killed or hung. */
  failureConnections: readonly number[];
  /** Runs of each kind, of each form at each connection count: how many requests a failure costs varies. */
  failureRepetitions: number;
  /** How long a hung worker stays stopped; 0 for no such runs. */
  hangMs: number;
  /** `serve --job-lease` of the job form. */
  leaseMs: number;
  /** Also a run of the job form with the lease `serve` has by default (30 s), longer than the gateway's 5 s deadline. */
  defaultLease: boolean;
}

/** One `ab` run against one form, with the CPU each part used during it. */
export interface FormThroughputRun {
  form: FootballForm;
  connections: number;
  repetition: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU per request (microseconds) of the HTTP process (the gateway, or fastify), of both workers and of nats-server. */
  httpServerCpuUs: number;
  workersCpuUs: number | undefined;
  natsServerCpuUs: number | undefined;
  /** Share of the whole machine busy during the run, everyone's work included (0 to 1). */
  machineBusy: number;
}

/** What happens to one of the two workers under load: killed with SIGKILL, or stopped (SIGSTOP) for a while and resumed. */
export type WorkerFailure = "killed" | "hung";

/** One run with a worker killed or hung under load. */
export interface FormFailureRun {
  form: GatewayForm;
  failure: WorkerFailure;
  /** `serve --job-lease` of the job form. */
  leaseMs: number | undefined;
  connections: number;
  repetition: number;
  requests: number;
  /** Requests answered when the worker was killed or stopped. */
  failedAfter: number;
  /** Answered 2xx. */
  succeeded: number;
  /** The others: not answered 2xx, by status or error. */
  lost: number;
  failures: Record<string, number>;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Requests that took a second or more. */
  slowerThanOneSecond: number;
}

/** Everything the benchmark measured. */
export interface FootballFormsBenchmark {
  options: FootballFormsOptions;
  natsServerVersion: string;
  abVersion: string;
  /** The command of each throughput run, with PORT for the gateway's port. */
  command: string;
  throughput: FormThroughputRun[];
  failures: FormFailureRun[];
}

/** `serve`'s `--job-lease` when none is given. */
export const defaultJobLeaseMs = 30_000;

/** A form's nats-server and gateway, which outlive its workers. */
interface FormRig {
  readonly form: GatewayForm;
  readonly natsServer: BenchNatsServer;
  readonly gateway: FootballGateway;
}

/** What a throughput run loads, and the processes whose CPU it reads. */
interface ThroughputTarget {
  readonly form: FootballForm;
  readonly origin: string;
  readonly httpServerPid: number;
  readonly workers: readonly FootballCommand[];
  readonly natsServerPid: number | undefined;
}

/**
 * Runs both phases. `track` receives everything started (the caller stops it on
 * Ctrl-C); everything is also stopped before this resolves or rejects. `log` gets a line per run.
 */
export async function runFootballFormsBenchmark(options: FootballFormsOptions, track: (started: Stoppable) => void, log: (line: string) => void): Promise<FootballFormsBenchmark> {
  const started: Stoppable[] = [];
  const own = <T extends Stoppable>(thing: T): T => {
    started.push(thing);
    track(thing);
    return thing;
  };
  const directory = await mkdtemp(join(tmpdir(), "bench-football-forms-"));
  try {
    const bodyFile = join(directory, "post_data.json");
    await writeFile(bodyFile, footballRequestBody);
    const rigs: FormRig[] = [];
    const targets: ThroughputTarget[] = [];
    const warmUp = (origin: string) => runAb({ url: origin + footballPath, connections: 8, requests: Math.min(options.requests, 2_000), bodyFile, directory });
    const fastify = own(await startFastify());
    targets.push({ form: "basic", origin: fastify.origin, httpServerPid: fastify.pid, workers: [], natsServerPid: undefined });
    await warmUp(fastify.origin);
    for (const form of ["requests", "jobs"] as const) {
      // The request form as `make football` runs it: a nats-server without JetStream.
      const natsServer = own(await startBenchNatsServer({ jetStream: form === "jobs" }));
      // The workers first: the gateway is ready once an instance answers.
      const workers = await Promise.all([1, 2].map(() => startWorker(natsServer.url, form, options.leaseMs).then(own)));
      const gateway = own(await startFootballGateway(natsServer.url, 1, [], form === "jobs" ? ["--jobs"] : []));
      rigs.push({ form, natsServer, gateway });
      targets.push({ form, origin: gateway.origin, httpServerPid: gateway.pid, workers, natsServerPid: natsServer.pid });
      // So that every measured run meets optimised code (and the job form's streams exist).
      await warmUp(gateway.origin);
    }

    const throughput: FormThroughputRun[] = [];
    for (let repetition = 1; repetition <= options.repetitions; repetition++) {
      for (const connections of options.connections) {
        for (let turn = 0; turn < targets.length; turn++) {
          // The order turns each repetition, so that a busy moment falls on every form alike.
          const target = targets[(turn + repetition - 1) % targets.length]!;
          const run = await measureThroughput(target, { connections, requests: options.requests, bodyFile, directory }, repetition);
          log(`  ${target.form} -c ${connections} #${repetition}: ${Math.round(run.requestsPerSecond)} requests/s, p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms`);
          throughput.push(run);
        }
      }
    }
    await fastify.stop();
    for (const target of targets) {
      await Promise.all(target.workers.map((worker) => worker.stop()));
    }

    const failures: FormFailureRun[] = [];
    const [requestRig, jobRig] = rigs as [FormRig, FormRig];
    const failureCases: { failure: WorkerFailure; rig: FormRig; leaseMs: number | undefined }[] = [
      { failure: "killed", rig: requestRig, leaseMs: undefined },
      { failure: "killed", rig: jobRig, leaseMs: options.leaseMs },
    ];
    if (options.hangMs > 0) {
      failureCases.push({ failure: "hung", rig: requestRig, leaseMs: undefined }, { failure: "hung", rig: jobRig, leaseMs: options.leaseMs });
    }
    if (options.defaultLease) {
      // Last: the jobs its killed worker held are delivered again 30 s later, after the run.
      failureCases.push({ failure: "killed", rig: jobRig, leaseMs: defaultJobLeaseMs });
    }
    for (const { failure, rig, leaseMs } of failureCases) {
      for (const connections of options.failureConnections) {
        for (let repetition = 1; repetition <= options.failureRepetitions; repetition++) {
          const run = await measureFailure({ failure, rig, leaseMs, connections, repetition, requests: options.failureRequests, hangMs: options.hangMs }, own);
          const lease = leaseMs === undefined ? "" : `, lease ${leaseMs} ms`;
          log(`  ${rig.form}${lease} -c ${connections} #${repetition}, a worker ${failure} after ${run.failedAfter}: ${run.lost} of ${run.requests} lost, max ${Math.round(run.maxMs)} ms`);
          failures.push(run);
        }
      }
    }
    return {
      options,
      natsServerVersion: requestRig.natsServer.version,
      abVersion: await abVersion(),
      command: `ab ${abArguments({ url: `http://127.0.0.1:PORT${footballPath}`, connections: 0, requests: options.requests, bodyFile: "post_data.json" })
        .join(" ")
        .replace("-c 0", "-c C")}`,
      throughput,
      failures,
    };
  } finally {
    // Workers and gateways first, then the nats-servers.
    for (const thing of started.reverse()) {
      await thing.stop().catch(() => undefined);
    }
    await rm(directory, { recursive: true, force: true });
  }
}

// One worker process (`serve --workers 1`: the process is the instance), so that one can be killed alone.
function startWorker(natsUrl: string, form: GatewayForm, leaseMs: number): Promise<FootballCommand> {
  return startFootballWorkers(natsUrl, 1, form === "jobs" ? ["--jobs", "--job-lease", String(leaseMs)] : []);
}

async function measureThroughput(
  target: ThroughputTarget,
  load: { connections: number; requests: number; bodyFile: string; directory: string },
  repetition: number,
): Promise<FormThroughputRun> {
  const cpu = () => ({
    http: processTreeCpuMs(target.httpServerPid),
    workers: target.workers.reduce((sum, worker) => sum + processTreeCpuMs(worker.pid), 0),
    nats: target.natsServerPid === undefined ? 0 : processCpuMs(target.natsServerPid),
    machine: machineTicks(),
  });
  const before = cpu();
  const result = await runAb({ url: target.origin + footballPath, ...load });
  const after = cpu();
  const perRequest = (beforeMs: number, afterMs: number) => ((afterMs - beforeMs) * 1_000) / result.requests;
  const viaNats = target.natsServerPid !== undefined;
  return {
    form: target.form,
    connections: load.connections,
    repetition,
    requestsPerSecond: result.requestsPerSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    httpServerCpuUs: perRequest(before.http, after.http),
    workersCpuUs: viaNats ? perRequest(before.workers, after.workers) : undefined,
    natsServerCpuUs: viaNats ? perRequest(before.nats, after.nats) : undefined,
    machineBusy: busyShare(before.machine, after.machine),
  };
}

/** One run of the second phase. */
interface FailureCase {
  readonly failure: WorkerFailure;
  readonly rig: FormRig;
  readonly leaseMs: number | undefined;
  readonly connections: number;
  readonly repetition: number;
  readonly requests: number;
  readonly hangMs: number;
}

// Two fresh workers, a closed loop of requests, and the first worker killed with SIGKILL, or
// stopped with SIGSTOP and resumed `hangMs` later, once a third of the requests are answered;
// then both are stopped.
async function measureFailure(run: FailureCase, own: <T extends Stoppable>(thing: T) => T): Promise<FormFailureRun> {
  const { rig, leaseMs, requests } = run;
  const [failing, other] = await Promise.all([1, 2].map(() => startWorker(rig.natsServer.url, rig.form, leaseMs ?? defaultJobLeaseMs).then(own)));
  const failAt = Math.floor(requests / 3);
  let failedAfter = 0;
  let resume: NodeJS.Timeout | undefined;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(failing!.pid, name);
    } catch {
      // Gone already.
    }
  };
  try {
    const load = await runHttpClosedLoop({
      origin: rig.gateway.origin,
      path: footballPath,
      body: footballRequestBody,
      connections: run.connections,
      requests,
      onSettled(settled) {
        if (settled !== failAt) {
          return;
        }
        failedAfter = settled;
        if (run.failure === "killed") {
          signal("SIGKILL");
        } else {
          signal("SIGSTOP");
          resume = setTimeout(() => signal("SIGCONT"), run.hangMs);
        }
      },
    });
    let slowerThanOneSecond = 0;
    for (const latency of load.latenciesMs) {
      slowerThanOneSecond += latency >= 1_000 ? 1 : 0;
    }
    return {
      form: rig.form,
      failure: run.failure,
      leaseMs,
      connections: run.connections,
      repetition: run.repetition,
      requests,
      failedAfter,
      succeeded: load.succeeded,
      lost: requests - load.succeeded,
      failures: load.failures,
      requestsPerSecond: load.requestsPerSecond,
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      maxMs: load.maxMs,
      slowerThanOneSecond,
    };
  } finally {
    // A stopped process would not act on SIGTERM.
    clearTimeout(resume);
    signal("SIGCONT");
    await Promise.all([failing!.stop(), other!.stop()]);
  }
}
