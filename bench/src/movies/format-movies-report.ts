import { cpus } from "node:os";
import { formatTable } from "../format-report.js";
import { spreadOf } from "../statistics.js";
import { baselineTargetName, type MoviesBenchmark, type MoviesCpu, type MoviesOperation, type MoviesRun } from "./movies-benchmark.js";

/**
 * The movies benchmark's report: the setting, a table per operation (requests/s, latency, CPU per
 * request of each tier), the cores each tier kept busy, and each gateway target's requests/s over
 * the baseline's.
 */
export function formatMoviesReport(benchmark: MoviesBenchmark): string {
  const { options } = benchmark;
  const repetitions = options.repetitions;
  const range = (values: readonly number[], digits: number) => {
    const spread = spreadOf(values.filter((value) => Number.isFinite(value)));
    if (Number.isNaN(spread.median)) {
      return "-";
    }
    return repetitions === 1 ? spread.median.toFixed(digits) : `${spread.median.toFixed(digits)} (${spread.min.toFixed(digits)}-${spread.max.toFixed(digits)})`;
  };
  const median = (values: readonly number[], digits: number) => {
    const value = spreadOf(values).median;
    return Number.isFinite(value) ? value.toFixed(digits) : "-";
  };
  const runsOf = (target: string, operation: MoviesOperation, connections: number) =>
    benchmark.runs.filter((run) => run.target === target && run.operation === operation && run.connections === connections);
  const sections = [
    `Movies: ${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), ${process.platform}, node ${process.versions.node}, nats-server ${benchmark.natsServerVersion}, PostgreSQL ${benchmark.postgresVersion}`,
    [
      `Each gateway target: a nats-server with JetStream, movies engine serve --workers N --jobs (pool 10, 8 downloads at once per process), movies gateway --workers ${options.gatewayWorkers}; one database and one movies mirror for all.`,
      `Baseline: the same SELECT and INSERT by node:http + pg in one process (pool 10), no NATS, no download queued (its movies are saved ready).`,
      `Closed loop (undici, one request in flight per connection): GET /v1/movies/{id} over ${benchmark.seededMovies} seeded movies (${options.getRequests} requests a run, each 200), ` +
        `POST /v1/movies (${options.postRequests} a run, each 201) with ${benchmark.postBody};`,
      `each POST through the gateway queues the download of that ${options.downloadBytes}-byte file, and its CPU is counted until the downloads end.`,
      `${repetitions} interleaved repetition(s), median (min-max); CPU in microseconds per request, from /proc.`,
    ].join("\n"),
  ];
  const cpuColumns: [string, keyof MoviesCpu][] = [
    // The gateway's processes, or the baseline's one.
    ["HTTP µs", "http"],
    ["engine µs", "engine"],
    ["nats-server µs", "natsServer"],
    ["PostgreSQL µs", "postgres"],
    ["PG background µs", "postgresBackground"],
    ["client µs", "client"],
    ["all µs", "all"],
  ];
  for (const operation of ["get", "post"] as const) {
    const rows: string[][] = [];
    for (const connections of options.connections) {
      for (const target of benchmark.targets) {
        const runs = runsOf(target.name, operation, connections);
        if (runs.length === 0) {
          continue;
        }
        const gateway = target.kind === "gateway";
        rows.push([
          target.name,
          String(connections),
          range(runs.map((run) => run.requestsPerSecond), 0),
          range(runs.map((run) => run.p50Ms), 2),
          range(runs.map((run) => run.p99Ms), 2),
          ...cpuColumns.map(([, key]) => (!gateway && (key === "engine" || key === "natsServer") ? "-" : median(runs.map((run) => run.cpuUs[key]), 0))),
          median(runs.map((run) => run.machineBusy * 100), 0),
        ]);
      }
    }
    const title = operation === "get" ? "GET /v1/movies/{id}" : "POST /v1/movies";
    sections.push(
      `${title}\n${formatTable(["target", "-c", "requests/s", "p50 ms", "p99 ms", ...cpuColumns.map(([name]) => name), "machine busy %"], rows)}`,
    );
  }

  // Cores each tier kept busy over the time its CPU was read (for the POSTs through the gateway,
  // until their downloads ended), within each run, then the median.
  const coreRows: string[][] = [];
  for (const operation of ["get", "post"] as const) {
    for (const connections of options.connections) {
      for (const target of benchmark.targets.filter((candidate) => candidate.kind === "gateway")) {
        const runs = runsOf(target.name, operation, connections);
        if (runs.length === 0) {
          continue;
        }
        const cores = (key: keyof MoviesCpu) => median(runs.map((run) => (run.cpuUs[key] * run.requests) / 1_000 / run.cpuWindowMs), 2);
        coreRows.push([target.name, operation.toUpperCase(), String(connections), cores("http"), cores("engine"), cores("natsServer"), cores("postgres"), cores("all")]);
      }
    }
  }
  sections.push(
    `Cores each tier kept busy (CPU over wall time: the requests, and for POSTs their downloads; of ${cpus().length})\n` +
      formatTable(["target", "op", "-c", "gateway", "engine", "nats-server", "PostgreSQL", "all"], coreRows),
  );

  // Ratios within each repetition (the runs were moments apart), so that a busy moment cancels out.
  const ratioLines: string[] = [];
  for (const target of benchmark.targets.filter((candidate) => candidate.kind === "gateway")) {
    const parts: string[] = [];
    for (const operation of ["get", "post"] as const) {
      for (const connections of options.connections) {
        const ratios: number[] = [];
        for (let repetition = 1; repetition <= repetitions; repetition++) {
          const figure = (name: string) => runsOf(name, operation, connections).find((run) => run.repetition === repetition)?.requestsPerSecond;
          const ours = figure(target.name);
          const baseline = figure(baselineTargetName);
          if (ours !== undefined && baseline !== undefined) {
            ratios.push(ours / baseline);
          }
        }
        parts.push(`${operation.toUpperCase()} -c ${connections} ${range(ratios, 2)}`);
      }
    }
    ratioLines.push(`  ${target.name}: ${parts.join("; ")}`);
  }
  sections.push(`Requests/s over the baseline's, within each repetition\n${ratioLines.join("\n")}`);

  const posts = benchmark.runs.filter((run): run is MoviesRun & { downloadsDrainMs: number } => run.downloadsDrainMs !== undefined);
  if (posts.length > 0) {
    const failed = posts.reduce((sum, run) => sum + (run.downloadsFailed ?? 0), 0);
    const retried = posts.reduce((sum, run) => sum + (run.downloadsRetried ?? 0), 0);
    const drains = posts.map((run) => `${run.target} -c ${run.connections} #${run.repetition} ${Math.round(run.downloadsDrainMs)}`);
    sections.push(`Downloads of the measured POSTs: ${failed} failed, ${retried} took more than one attempt; the last ended this long (ms) after the last reply: ${drains.join(", ")}.`);
  }
  const ended = benchmark.runs.reduce((sum, run) => sum + run.endedBackends, 0);
  sections.push(
    `Database connections closed during a run (their CPU since the run began is not counted; mostly idle ones of the other targets' pools, closed after 30 s): ${ended} in ${benchmark.runs.length} runs.`,
  );
  return sections.join("\n\n");
}
