// The benchmark runner: `npm run bench` (or `make bench`). It starts a nats-server of its own, one
// server process per transport and one load client process per case, runs every case at 1, 16 and
// 128 requests in flight in interleaved repetitions, checks the host's memory and the code
// generation time, and prints tables and the target ratios; with --gateway and --jobs, also the
// HTTP gateway (bench/src/gateway/) and durable jobs (bench/src/jobs/) benchmarks, with
// --pipeline the routing-slip pipelines (bench/src/pipeline/), and with --movies the movies example
// (bench/src/movies/), with --streaming server streaming against grpc-js and a raw NATS loop
// (bench/src/streaming/). Everything is bounded in count and time.
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import { startLoadClientProcess, startServerProcess, type LoadClientProcess, type ServerProcess } from "./bench-processes.js";
import { parseBenchmarkOptions, usage, type BenchmarkOptions } from "./benchmark-options.js";
import { rootDirectory } from "./bench-paths.js";
import { caseKindNamed, type ServerKind } from "./case-kinds.js";
import { runCodegenBenchmark } from "./codegen-benchmark.js";
import { formatCaseTables, formatCodegen, formatComparisons, formatMemory, formatTargets, summarize } from "./format-report.js";
import { formatGatewayReport } from "./gateway/format-gateway-report.js";
import { runGatewayBenchmark, type GatewayBenchmark } from "./gateway/gateway-benchmark.js";
import { formatJobsReport } from "./jobs/format-jobs-report.js";
import { runJobsBenchmark, type JobsBenchmark } from "./jobs/jobs-benchmark.js";
import { measureCases, type CaseRun } from "./measure-cases.js";
import { postgresUnavailable } from "./movies/bench-database.js";
import { formatMoviesReport } from "./movies/format-movies-report.js";
import { runMoviesBenchmark, type MoviesBenchmark } from "./movies/movies-benchmark.js";
import { formatStreamingReport, runStreamingBenchmark, type StreamingBenchmark } from "./streaming/streaming-benchmark.js";
import { formatPipelineReport } from "./pipeline/format-pipeline-report.js";
import { runPipelineBenchmark, type PipelineBenchmark } from "./pipeline/pipeline-benchmark.js";
import { checkHostMemory, type MemoryCheck } from "./memory-check.js";
import { startBenchNatsServer, type BenchNatsServer } from "./start-nats-server.js";
import { checkTargets, compareNatsVersions } from "./target-checks.js";

/** Whatever is running, so that an error or Ctrl-C still stops every process the runner started. */
const running: { stop(): Promise<void> }[] = [];

async function main(): Promise<void> {
  const parsed = parseBenchmarkOptions(process.argv.slice(2));
  if (parsed === "help") {
    process.stdout.write(usage);
    return;
  }
  const options = parsed;
  if (options.gateway === "only" || options.jobs === "only" || options.pipeline === "only") {
    const gateway = options.gateway === "only" ? await measureGateway(options) : undefined;
    await stopAll();
    const jobs = options.jobs === "only" ? await measureJobs(options) : undefined;
    await stopAll();
    const pipeline = options.pipeline === "only" ? await measurePipeline(options) : undefined;
    await stopAll();
    const environment = describeEnvironment(gateway?.natsServerVersion ?? jobs?.natsServerVersion ?? pipeline?.natsServerVersion ?? "unknown");
    const report = [
      environment,
      gateway === undefined ? "" : formatGatewayReport(gateway),
      jobs === undefined ? "" : formatJobsReport(jobs),
      pipeline === undefined ? "" : formatPipelineReport(pipeline),
    ].filter((section) => section !== "");
    process.stdout.write(`${report.join("\n\n")}\n`);
    if (options.jsonFile !== undefined) {
      await writeFile(options.jsonFile, `${JSON.stringify({ environment, gateway, jobs, pipeline }, null, 2)}\n`);
    }
    return;
  }
  const natsServer = await startBenchNatsServer();
  running.push(natsServer);
  const runs = await measureAllCases(options, natsServer);
  const memory = options.memoryRequests > 0 ? await measureHostMemory(options, natsServer) : undefined;
  const codegen =
    options.codegenRepetitions > 0 ? await runCodegenBenchmark(options.codegenServices, options.codegenMethods, options.codegenRepetitions) : undefined;
  await stopAll();
  const gateway = options.gateway === "also" ? await measureGateway(options) : undefined;
  await stopAll();
  const jobs = options.jobs === "also" ? await measureJobs(options) : undefined;
  await stopAll();
  const pipeline = options.pipeline === "also" ? await measurePipeline(options) : undefined;
  await stopAll();
  const movies = options.movies ? await measureMovies(options) : undefined;
  await stopAll();
  const streaming = options.streaming ? await measureStreaming(options) : undefined;
  await stopAll();

  const summaries = summarize(
    runs,
    options.cases.map((kind) => kind.name),
    options.inFlight,
  );
  const targets = checkTargets(runs, memory, codegen);
  const natsVersions = compareNatsVersions(runs, options.inFlight);
  const environment = describeEnvironment(natsServer.version);
  const report = [
    environment,
    describeConnections(),
    formatCaseTables(summaries),
    memory === undefined ? "" : `Host memory (generated host, 16 in flight, full GC before each reading)\n${formatMemory(memory)}`,
    codegen === undefined ? "" : `Code generation\n${formatCodegen(codegen)}`,
    natsVersions.length === 0 ? "" : `nats.js v3 / v2, raw cases (ratios within this run)\n${formatComparisons(natsVersions)}`,
    `Targets (ratios within this run)\n${formatTargets(targets)}`,
    gateway === undefined ? "" : formatGatewayReport(gateway),
    jobs === undefined ? "" : formatJobsReport(jobs),
    pipeline === undefined ? "" : formatPipelineReport(pipeline),
    movies === undefined ? "" : typeof movies === "string" ? movies : formatMoviesReport(movies),
    streaming === undefined ? "" : formatStreamingReport(streaming),
  ].filter((section) => section !== "");
  process.stdout.write(`${report.join("\n\n")}\n`);
  if (options.jsonFile !== undefined) {
    const json = { environment, options: { ...options, cases: options.cases.map((kind) => kind.name) }, runs, summaries, memory, codegen, natsVersions, targets, gateway, jobs, pipeline, movies, streaming };
    await writeFile(options.jsonFile, `${JSON.stringify(json, null, 2)}\n`);
  }
}

async function measureAllCases(options: BenchmarkOptions, natsServer: BenchNatsServer): Promise<CaseRun[]> {
  const servers = new Map<ServerKind, ServerProcess>();
  const clients = new Map<string, LoadClientProcess>();
  const stopRig = async () => {
    await Promise.all([...clients.values()].map((client) => client.stop()));
    await Promise.all([...servers.values()].map((server) => server.stop()));
  };
  running.push({ stop: stopRig });
  for (const kind of options.cases) {
    if (!servers.has(kind.server)) {
      servers.set(kind.server, await startServerProcess(kind.server, natsServer.url, profileFlags(options, `server-${kind.server}`)));
    }
    clients.set(kind.name, await startLoadClientProcess(kind, servers.get(kind.server)!.address, profileFlags(options, `client-${kind.name}`)));
  }
  const runs = await measureCases({ servers, clients, natsServerPid: natsServer.pid }, options.cases, options.inFlight, options.repetitions, options, (run) =>
    process.stderr.write(`  ${run.kind} x${run.inFlight} #${run.repetition}: ${Math.round(run.requestsPerSecond)} requests/s, p50 ${run.p50Ms.toFixed(3)} ms\n`),
  );
  await stopRig();
  running.splice(running.length - 1, 1);
  return runs;
}

async function measureHostMemory(options: BenchmarkOptions, natsServer: BenchNatsServer): Promise<MemoryCheck> {
  // A fresh host, alone in its queue group, so that every request of the check reaches it.
  const server = await startServerProcess("generated", natsServer.url, ["--expose-gc", ...options.memoryHostFlags]);
  running.push(server);
  const client = await startLoadClientProcess(caseKindNamed("generated"), natsServer.url);
  running.push(client);
  process.stderr.write(`  host memory: ${options.memoryRequests} requests\n`);
  const memory = await checkHostMemory(server, client, options.memoryRequests);
  await client.stop();
  await server.stop();
  running.splice(running.length - 2, 2);
  return memory;
}

// The HTTP gateway against the football example (bench/src/gateway/): its own nats-server and processes.
function measureGateway(options: BenchmarkOptions): Promise<GatewayBenchmark> {
  process.stderr.write("  HTTP gateway\n");
  return runGatewayBenchmark(
    {
      requests: options.gatewayRequests,
      repetitions: options.gatewayRepetitions,
      connections: [8, 64, 256],
      // Both, to show what a second gateway process buys on 2 cores shared with everything else.
      gatewayWorkers: [1, 2],
      serviceWorkers: 2,
      latencyCalls: options.gatewayLatencyCalls,
      profileDirectory: options.profileDirectory,
    },
    (started) => running.push(started),
    (line) => process.stderr.write(`${line}\n`),
  );
}

// The durable jobs benchmark (bench/src/jobs/): its own nats-server with JetStream, the machine's Redis.
function measureJobs(options: BenchmarkOptions): Promise<JobsBenchmark> {
  process.stderr.write("  durable jobs\n");
  return runJobsBenchmark(
    {
      systems: options.jobsSystems,
      outstanding: options.jobsOutstanding,
      repetitions: options.jobsRepetitions,
      warmupMs: options.jobsWarmupMs,
      durationMs: options.jobsDurationMs,
      maxJobs: options.jobsMax,
      concurrency: options.jobsConcurrency,
      redisAddress: options.redisAddress,
      profileDirectory: options.profileDirectory,
    },
    (started) => running.push(started),
    (line) => process.stderr.write(`${line}\n`),
  );
}

// The pipeline benchmark (bench/src/pipeline/): its own nats-server with JetStream.
// The movies example (bench/src/movies/): its own nats-servers and processes, a database of its own
// on the machine's PostgreSQL; without PostgreSQL, a note instead of the section.
async function measureMovies(options: BenchmarkOptions): Promise<MoviesBenchmark | string> {
  const unavailable = await postgresUnavailable(options.moviesOptions.databaseServer);
  if (unavailable !== undefined) {
    process.stderr.write(`  movies skipped: ${unavailable}\n`);
    return `Movies: skipped, ${unavailable}`;
  }
  process.stderr.write("  movies\n");
  return runMoviesBenchmark(
    options.moviesOptions,
    (started) => running.push(started),
    (line) => process.stderr.write(`${line}\n`),
  );
}

// The streaming benchmark (bench/src/streaming/): its own nats-server and processes.
function measureStreaming(options: BenchmarkOptions): Promise<StreamingBenchmark> {
  process.stderr.write("  streaming\n");
  return runStreamingBenchmark(
    options.streamingOptions,
    (started) => running.push(started),
    (line) => process.stderr.write(`${line}\n`),
  );
}

function measurePipeline(options: BenchmarkOptions): Promise<PipelineBenchmark> {
  process.stderr.write("  pipelines\n");
  return runPipelineBenchmark(
    {
      systems: options.pipelineSystems,
      instances: options.pipelineInstances,
      outstanding: options.pipelineOutstanding,
      repetitions: options.pipelineRepetitions,
      warmupMs: options.pipelineWarmupMs,
      durationMs: options.pipelineDurationMs,
      maxRecords: options.pipelineMax,
      perStop: options.pipelinePerStop,
      profileDirectory: options.profileDirectory,
    },
    (started) => running.push(started),
    (line) => process.stderr.write(`${line}\n`),
  );
}

// node --cpu-prof for the processes of a run with --profile.
function profileFlags(options: BenchmarkOptions, name: string): string[] {
  return options.profileDirectory === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.profileDirectory}`, `--cpu-prof-name=${name}.cpuprofile`];
}

function describeEnvironment(natsServerVersion: string): string {
  const version = (name: string) => (JSON.parse(readFileSync(join(rootDirectory, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  return [
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), ${process.platform}, node ${process.versions.node}`,
    `nats-server ${natsServerVersion}, nats.js ${version("@nats-io/nats-core")} (@nats-io/transport-node ${version("@nats-io/transport-node")}; raw-v2 cases: nats ${version("nats")}), @grpc/grpc-js ${version("@grpc/grpc-js")}, fastify ${version("fastify")}, undici ${version("undici")}`,
  ].join("\n");
}

function describeConnections(): string {
  return [
    "Connections: every process on 127.0.0.1; the timed client, the server and nats-server are separate processes.",
    "  NATS load clients: connect({ servers, name, noAsyncTraces }), noAsyncTraces false unless the case ends in -no-traces; all else nats.js defaults.",
    "  NATS servers (raw, raw-v2, generated): connect({ servers, name }), nats.js defaults (noAsyncTraces only changes requests, which servers do not make).",
    "  nats.js v3 (@nats-io/transport-node) for every NATS client and server but the raw-v2 cases, which use nats.js v2 (the nats package) on both sides.",
    "  Every NATS and gRPC request has a 5000 ms timeout; raw sends the generated case's request bytes and answers fixed reply bytes.",
  ].join("\n");
}

async function stopAll(): Promise<void> {
  while (running.length > 0) {
    await running.pop()!.stop().catch(() => undefined);
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));
}

try {
  await main();
} catch (error) {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await stopAll();
  process.exitCode = 1;
}
