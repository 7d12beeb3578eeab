// The movies example's benchmark (issue 16): its REST API as `make movies` runs it — `movies
// gateway --workers 2` -> NATS -> `movies engine serve --workers N --jobs` -> PostgreSQL, with the
// download of each new movie run as a durable job from `movies mirror` — measured for
// GET /v1/movies/{id} and POST /v1/movies at several connection counts, with 1 and 2 engine
// processes, beside the same reads and inserts served straight from PostgreSQL by one node:http
// process (serve-movies-baseline.ts). Every tier's CPU per request is read from /proc, so that the
// report can say which tier limits. Everything runs on 127.0.0.1 and is stopped at the end; the
// benchmark's database is created for the run and dropped after it.
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import type { ServerEvent } from "../process-messages.js";
import { processCpuMs } from "../process-cpu.js";
import { startBenchNatsServer, stopChild } from "../start-nats-server.js";
import { waitForMessage } from "../wait-for-message.js";
import type { Stoppable } from "../gateway/gateway-benchmark.js";
import { busyShare, machineTicks, processTreeCpuMs, type MachineTicks } from "../gateway/process-tree-cpu.js";
import { runHttpClosedLoop, type HttpClosedLoopRun } from "../jobs/http-closed-loop.js";
import { benchDatabaseName, dropBenchDatabase, openBenchDatabase, postgresCpuBetween, type BenchDatabase, type DownloadCounts, type PostgresCpuSnapshot } from "./bench-database.js";
import type { ProgramProcess } from "../program-process.js";
import { startMoviesEngine, startMoviesGateway, startMoviesMirror } from "./movies-rig.js";

/** What the movies benchmark does; every count is a bound. */
export interface MoviesBenchmarkOptions {
  /** Requests of each measured GET run, and of each POST run. */
  getRequests: number;
  postRequests: number;
  /** Interleaved repetitions of every target at every operation and connection count. */
  repetitions: number;
  /** Connections of the closed loop, each with one request in flight. */
  connections: readonly number[];
  /** `engine serve --workers` settings, each a system of its own (nats-server, engine, gateway). */
  engineWorkers: readonly number[];
  /** `gateway --workers`. */
  gatewayWorkers: number;
  /** Movies created before the runs; the GETs read them in turn. */
  seedMovies: number;
  /** Requests of each operation sent to each target before the measured runs. */
  warmupRequests: number;
  /** Size of the file each new movie downloads from the mirror: small, so that downloads do not dominate. */
  downloadBytes: number;
  /** The PostgreSQL server, `postgres://user@host:port`: the benchmark creates its own database there. */
  databaseServer: string;
}

/** The operations measured. */
export type MoviesOperation = "get" | "post";

/** What a run measured against: the service through its gateway, or the one-process baseline. */
export type MoviesTargetKind = "gateway" | "baseline";

/** CPU per request (microseconds) of each part during a run. */
export interface MoviesCpu {
  /** The gateway's processes, or the baseline's process. */
  http: number;
  /** The engine's processes (the Movies handlers and the download jobs); 0 for the baseline. */
  engine: number;
  /** nats-server; 0 for the baseline. */
  natsServer: number;
  /** PostgreSQL's backends of the benchmark's database. */
  postgres: number;
  /** PostgreSQL's own processes (WAL writer, checkpointer ...), shared with anyone else using the server. */
  postgresBackground: number;
  /** `movies mirror`, serving the downloads. */
  mirror: number;
  /** The load client (this process). */
  client: number;
  /** All of the above. */
  all: number;
}

/** One measured run of one operation against one target. */
export interface MoviesRun {
  target: string;
  kind: MoviesTargetKind;
  /** `engine serve --workers` of a gateway target. */
  engineWorkers: number | undefined;
  operation: MoviesOperation;
  connections: number;
  repetition: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * CPU per request, read from the start of the requests to their end, and for the POSTs through
   * the gateway to the end of the downloads they queued: a POST's download is part of its cost.
   */
  cpuUs: MoviesCpu;
  /** How long the CPU was read over: the requests, and for POSTs through the gateway their downloads. */
  cpuWindowMs: number;
  /** POSTs through the gateway: how long after the last reply the last download ended, downloads that failed, and those that took more than one attempt. */
  downloadsDrainMs: number | undefined;
  downloadsFailed: number | undefined;
  downloadsRetried: number | undefined;
  /** Database backends that ended during the run, whose CPU is missing (0 normally: the pools keep theirs). */
  endedBackends: number;
  /** Share of the whole machine busy during the run, everyone's work included (0 to 1). */
  machineBusy: number;
}

/** Everything the movies benchmark measured. */
export interface MoviesBenchmark {
  options: MoviesBenchmarkOptions;
  natsServerVersion: string;
  postgresVersion: string;
  /** The database the run created (and dropped at its end). */
  databaseName: string;
  /** The targets in the order of the tables. */
  targets: { name: string; kind: MoviesTargetKind; engineWorkers: number | undefined }[];
  /** The JSON body of every POST. */
  postBody: string;
  /** Movies the GETs read in turn. */
  seededMovies: number;
  runs: MoviesRun[];
}

/** A server the runs load, and the processes whose CPU they read. */
interface Target {
  readonly name: string;
  readonly kind: MoviesTargetKind;
  readonly engineWorkers: number | undefined;
  readonly origin: string;
  readonly httpPid: number;
  readonly engine: ProgramProcess | undefined;
  readonly natsServerPid: number | undefined;
}

/** The name of a gateway target in the tables. */
export function gatewayTargetName(engineWorkers: number): string {
  return `gateway, engine ×${engineWorkers}`;
}

/** The name of the baseline in the tables. */
export const baselineTargetName = "baseline (node:http + pg)";

// Downloads queued by a run must end within this long after it.
const drainTimeoutMs = 120_000;
// Downloads that end later than this after their run are worth a look in the engine's log.
const slowDrainMs = 10_000;

/**
 * Runs the movies benchmark. `track` receives everything started (the caller stops it on Ctrl-C);
 * everything is also stopped, and the database dropped, before this resolves or rejects. `log`
 * gets a line per run.
 */
export async function runMoviesBenchmark(options: MoviesBenchmarkOptions, track: (started: Stoppable) => void, log: (line: string) => void): Promise<MoviesBenchmark> {
  const started: Stoppable[] = [];
  const own = <T extends Stoppable>(thing: T): T => {
    started.push(thing);
    track(thing);
    return thing;
  };
  const downloadsDir = await mkdtemp(join(tmpdir(), "bench-movies-downloads-"));
  own({ stop: () => rm(downloadsDir, { recursive: true, force: true }) });
  try {
    // The drop first, so that it runs last, whatever happens from here on.
    const name = benchDatabaseName();
    own({ stop: () => dropBenchDatabase(options.databaseServer, name) });
    const database = await openBenchDatabase(options.databaseServer, name);
    own({ stop: () => database.close() });
    log(`  database ${database.name} created and migrated`);
    const mirror = own(await startMoviesMirror());
    const postBody = JSON.stringify({ title: "A benchmark movie", description: "", source_url: `${mirror.origin}/files/bench.bin?size=${options.downloadBytes}` });

    const targets: Target[] = [];
    let natsServerVersion = "unknown";
    for (const workers of options.engineWorkers) {
      // A system of its own per setting: all are up at once, so that the runs can take turns.
      const natsServer = own(await startBenchNatsServer({ jetStream: true }));
      natsServerVersion = natsServer.version;
      const engine = own(await startMoviesEngine({ natsUrl: natsServer.url, databaseUrl: database.url, downloadsDir, workers }));
      const gateway = own(await startMoviesGateway(natsServer.url, options.gatewayWorkers));
      targets.push({ name: gatewayTargetName(workers), kind: "gateway", engineWorkers: workers, origin: gateway.origin, httpPid: gateway.pid, engine, natsServerPid: natsServer.pid });
      log(`  ${gatewayTargetName(workers)}: ${gateway.origin}`);
    }
    const baseline = own(await startBaseline(database.url));
    targets.push({ name: baselineTargetName, kind: "baseline", engineWorkers: undefined, origin: baseline.origin, httpPid: baseline.pid, engine: undefined, natsServerPid: undefined });

    const context: RunContext = { database, mirrorPid: mirror.pid, postBody, ids: [] };
    // The movies the GETs read, created through the service (their downloads included).
    await load(targets[0]!, "post", 8, options.seedMovies, context);
    await waitForDownloads(database);
    context.ids = await database.movieIds();
    log(`  ${context.ids.length} movies seeded`);
    // A warm-up per target and operation, so that every measured run meets optimised code and full pools.
    for (const target of targets) {
      for (const operation of ["get", "post"] as const) {
        await load(target, operation, Math.max(...options.connections), options.warmupRequests, context);
      }
      await waitForDownloads(database);
    }

    const runs: MoviesRun[] = [];
    for (let repetition = 1; repetition <= options.repetitions; repetition++) {
      for (const operation of ["get", "post"] as const) {
        for (const connections of options.connections) {
          for (let turn = 0; turn < targets.length; turn++) {
            // The order turns by one each repetition, so that a busy moment falls on every target alike.
            const target = targets[(turn + repetition - 1) % targets.length]!;
            const requests = operation === "get" ? options.getRequests : options.postRequests;
            const run = await measure(target, operation, connections, requests, repetition, context);
            const drain = run.downloadsDrainMs === undefined ? "" : `, downloads done ${Math.round(run.downloadsDrainMs)} ms after`;
            if ((run.downloadsDrainMs ?? 0) > slowDrainMs) {
              // What the engine warned of lately, to tell why (retries, downloads queued again ...).
              const warnings = target.engine?.recentOutput().split("\n").filter((line) => /"level":"(warn|error|fatal)"/.test(line)) ?? [];
              log(`  slow downloads; the engine's last warnings:\n${warnings.slice(-5).join("\n") || "  (none)"}`);
            }
            log(
              `  ${target.name} ${operation.toUpperCase()} -c ${connections} #${repetition}: ${Math.round(run.requestsPerSecond)} requests/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms${drain}`,
            );
            runs.push(run);
          }
        }
      }
    }
    return {
      options,
      natsServerVersion,
      postgresVersion: database.serverVersion,
      databaseName: database.name,
      targets: targets.map(({ name, kind, engineWorkers }) => ({ name, kind, engineWorkers })),
      postBody,
      seededMovies: context.ids.length,
      runs,
    };
  } finally {
    // The HTTP servers and engines first, then the nats-servers and the mirror, then the database and the files.
    for (const thing of started.reverse()) {
      await thing.stop().catch(() => undefined);
    }
  }
}

/** What every run needs. */
interface RunContext {
  readonly database: BenchDatabase;
  readonly mirrorPid: number;
  readonly postBody: string;
  /** The seeded movies' ids, read by the GETs in turn. */
  ids: string[];
}

// One closed loop; rejects unless every reply had the operation's status (200 for a GET, 201 for a POST).
async function load(target: Target, operation: MoviesOperation, connections: number, requests: number, context: RunContext): Promise<HttpClosedLoopRun> {
  const { ids } = context;
  const run = await runHttpClosedLoop(
    operation === "get"
      ? { origin: target.origin, method: "GET", path: (index) => `/v1/movies/${ids[index % ids.length]!}`, expectedStatus: 200, connections, requests }
      : { origin: target.origin, method: "POST", path: "/v1/movies", body: context.postBody, expectedStatus: 201, connections, requests },
  );
  if (run.succeeded !== requests) {
    const how = Object.entries(run.failures).map(([outcome, count]) => `${count} × ${outcome}`);
    throw new Error(`${target.name} ${operation.toUpperCase()} -c ${connections}: ${requests - run.succeeded} of ${requests} requests not answered ${operation === "get" ? 200 : 201} (${how.join(", ")})`);
  }
  return run;
}

/** The CPU counters of every part, and of the whole machine, at one moment. */
interface CpuReading {
  http: number;
  engine: number;
  natsServer: number;
  mirror: number;
  client: number;
  postgres: PostgresCpuSnapshot;
  machine: MachineTicks;
}

async function readCpu(target: Target, context: RunContext): Promise<CpuReading> {
  const client = process.cpuUsage();
  return {
    http: processTreeCpuMs(target.httpPid),
    engine: target.engine === undefined ? 0 : processTreeCpuMs(target.engine.pid),
    natsServer: target.natsServerPid === undefined ? 0 : processCpuMs(target.natsServerPid),
    mirror: processCpuMs(context.mirrorPid),
    client: (client.user + client.system) / 1_000,
    postgres: await context.database.cpu(),
    machine: machineTicks(),
  };
}

async function measure(target: Target, operation: MoviesOperation, connections: number, requests: number, repetition: number, context: RunContext): Promise<MoviesRun> {
  const downloadsBefore = operation === "post" && target.kind === "gateway" ? await context.database.downloads() : undefined;
  const before = await readCpu(target, context);
  const startedAt = performance.now();
  const result = await load(target, operation, connections, requests, context);
  const lastReplyAt = performance.now();
  let downloadsDrainMs: number | undefined;
  let downloadsFailed: number | undefined;
  let downloadsRetried: number | undefined;
  if (downloadsBefore !== undefined) {
    const downloads = await waitForDownloads(context.database);
    downloadsDrainMs = performance.now() - lastReplyAt;
    downloadsFailed = downloads.failed - downloadsBefore.failed;
    downloadsRetried = downloads.retried - downloadsBefore.retried;
  }
  const cpuWindowMs = performance.now() - startedAt;
  const after = await readCpu(target, context);
  const postgres = postgresCpuBetween(before.postgres, after.postgres);
  const perRequest = (ms: number) => (ms * 1_000) / requests;
  const cpuUs: MoviesCpu = {
    http: perRequest(after.http - before.http),
    engine: perRequest(after.engine - before.engine),
    natsServer: perRequest(after.natsServer - before.natsServer),
    postgres: perRequest(postgres.databaseMs),
    postgresBackground: perRequest(postgres.backgroundMs),
    mirror: perRequest(after.mirror - before.mirror),
    client: perRequest(after.client - before.client),
    all: 0,
  };
  cpuUs.all = cpuUs.http + cpuUs.engine + cpuUs.natsServer + cpuUs.postgres + cpuUs.postgresBackground + cpuUs.mirror + cpuUs.client;
  return {
    target: target.name,
    kind: target.kind,
    engineWorkers: target.engineWorkers,
    operation,
    connections,
    repetition,
    requests,
    requestsPerSecond: result.requestsPerSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    maxMs: result.maxMs,
    cpuUs,
    cpuWindowMs,
    downloadsDrainMs,
    downloadsFailed,
    downloadsRetried,
    endedBackends: postgres.endedBackends,
    machineBusy: busyShare(before.machine, after.machine),
  };
}

// Polls the database until no download is queued or under way, for a bounded time.
async function waitForDownloads(database: BenchDatabase): Promise<DownloadCounts> {
  const deadline = performance.now() + drainTimeoutMs;
  for (;;) {
    const counts = await database.downloads();
    const { pending } = counts;
    if (pending === 0) {
      return counts;
    }
    if (performance.now() > deadline) {
      throw new Error(`${pending} downloads still queued or under way ${drainTimeoutMs} ms after the requests`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// The baseline in a process of its own (serve-movies-baseline.ts).
async function startBaseline(databaseUrl: string): Promise<Stoppable & { origin: string; pid: number }> {
  const program = fileURLToPath(new URL("serve-movies-baseline.js", import.meta.url));
  const child = fork(program, [databaseUrl], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    const ready = await waitForMessage<ServerEvent, "ready">(child, "movies baseline server", ["ready"], 20_000);
    return { origin: ready.address, pid: child.pid!, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}
