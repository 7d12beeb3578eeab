// `npm run bench:football-forms`: the football example (seed 001) in its request form and its job
// form under the same load, then with one of its two workers killed or hung under load
// (bench/src/jobs/football-forms-benchmark.ts); prints the tables of docs/jobs-football.md.
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { formatTable } from "../format-report.js";
import { spreadOf } from "../statistics.js";
import { runStandaloneBenchmark } from "../standalone-benchmark.js";
import { defaultJobLeaseMs, runFootballFormsBenchmark, type FootballForm, type FootballFormsBenchmark, type FootballFormsOptions } from "./football-forms-benchmark.js";

const usage = `usage: npm run bench:football-forms -- [flags]
  --quick                   a short run: fewer requests, one repetition
  --requests N              ab -n of each throughput run (default 10000)
  --repetitions N           interleaved repetitions of the throughput runs (default 3)
  --connections 1,8,64      ab -c of the throughput runs
  --failure-requests N      requests of each run with a worker killed or hung (default 3000)
  --failure-connections 8,64
                            connections of the runs with a worker killed or hung
  --failure-repetitions N   runs of each, of each form at each count (default 3)
  --hang-ms MS              how long a hung worker stays stopped (default 6000, longer than
                            the gateway's 5 s deadline; 0: no runs with a hung worker)
  --lease MS                serve --job-lease of the job form (default 1000)
  --no-default-lease        skip the run of the job form with serve's default lease (30 s)
  --json FILE               also write every figure as JSON
`;

function parseOptions(args: readonly string[]): (FootballFormsOptions & { jsonFile: string | undefined }) | "help" {
  const { values } = parseArgs({
    args: [...args],
    options: {
      help: { type: "boolean", short: "h" },
      quick: { type: "boolean" },
      requests: { type: "string" },
      repetitions: { type: "string" },
      connections: { type: "string" },
      "failure-requests": { type: "string" },
      "failure-connections": { type: "string" },
      "failure-repetitions": { type: "string" },
      "hang-ms": { type: "string" },
      lease: { type: "string" },
      "no-default-lease": { type: "boolean" },
      json: { type: "string" },
    },
    strict: true,
  });
  if (values.help === true) {
    return "help";
  }
  const quick = values.quick === true;
  const whole = (flag: string, text: string, least: number) => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < least) {
      throw new Error(`${flag} takes a whole number of at least ${least}, got "${text}"\n\n${usage}`);
    }
    return value;
  };
  const number = (flag: string, text: string | undefined, fallback: number, least: number) => (text === undefined ? fallback : whole(flag, text, least));
  const list = (flag: string, text: string | undefined, fallback: number[]) => (text === undefined ? fallback : text.split(",").map((item) => whole(flag, item, 1)));
  return {
    requests: number("--requests", values.requests, quick ? 2_000 : 10_000, 1),
    repetitions: number("--repetitions", values.repetitions, quick ? 1 : 3, 1),
    connections: list("--connections", values.connections, [1, 8, 64]),
    failureRequests: number("--failure-requests", values["failure-requests"], quick ? 1_500 : 3_000, 3),
    failureConnections: list("--failure-connections", values["failure-connections"], [8, 64]),
    failureRepetitions: number("--failure-repetitions", values["failure-repetitions"], quick ? 1 : 3, 1),
    hangMs: number("--hang-ms", values["hang-ms"], 6_000, 0),
    leaseMs: number("--lease", values.lease, 1_000, 1_000),
    defaultLease: values["no-default-lease"] !== true,
    jsonFile: values.json,
  };
}

/** The report: the setting, the throughput of each form, and what a killed or hung worker cost each. */
function formatReport(benchmark: FootballFormsBenchmark): string {
  const { options } = benchmark;
  const formName = (form: FootballForm, leaseMs?: number) => {
    if (form !== "jobs") {
      return form === "basic" ? "basic (fastify, 1 process)" : "request form";
    }
    return `job form${leaseMs === undefined ? "" : `, lease ${leaseMs === defaultJobLeaseMs ? "30 s (default)" : `${leaseMs} ms`}`}`;
  };
  const range = (values: readonly (number | undefined)[], digits: number) => {
    const spread = spreadOf(values.filter((value): value is number => value !== undefined));
    if (Number.isNaN(spread.median)) {
      return "-";
    }
    return options.repetitions === 1 ? spread.median.toFixed(digits) : `${spread.median.toFixed(digits)} (${spread.min.toFixed(digits)}-${spread.max.toFixed(digits)})`;
  };
  const throughputRows: string[][] = [];
  for (const connections of options.connections) {
    for (const form of ["basic", "requests", "jobs"] as const) {
      const runs = benchmark.throughput.filter((run) => run.form === form && run.connections === connections);
      const of = (pick: (run: (typeof runs)[number]) => number | undefined, digits: number) => range(runs.map(pick), digits);
      throughputRows.push([
        formName(form),
        String(connections),
        of((run) => run.requestsPerSecond, 0),
        of((run) => run.p50Ms, 1),
        of((run) => run.p99Ms, 1),
        of((run) => run.httpServerCpuUs, 0),
        of((run) => run.workersCpuUs, 0),
        of((run) => run.natsServerCpuUs, 0),
        of((run) => run.machineBusy * 100, 0),
      ]);
    }
  }
  // Taken within each repetition (the runs were moments apart), so that a busy moment of the shared machine cancels out.
  const ratios = options.connections.map((connections) => {
    const figure = (form: FootballForm, repetition: number) =>
      benchmark.throughput.find((run) => run.form === form && run.connections === connections && run.repetition === repetition)?.requestsPerSecond;
    const values: number[] = [];
    for (let repetition = 1; repetition <= options.repetitions; repetition++) {
      const jobs = figure("jobs", repetition);
      const requests = figure("requests", repetition);
      if (jobs !== undefined && requests !== undefined) {
        values.push(jobs / requests);
      }
    }
    return `-c ${connections} ${range(values, 3)}`;
  });
  const failureRows: string[][] = [];
  const failureCases = [...new Map(benchmark.failures.map((run) => [`${run.failure} ${run.form} ${run.leaseMs} ${run.connections}`, run])).values()];
  for (const { failure, form, leaseMs, connections } of failureCases) {
    const runs = benchmark.failures.filter((run) => run.failure === failure && run.form === form && run.leaseMs === leaseMs && run.connections === connections);
    const how: Record<string, number> = {};
    for (const run of runs) {
      for (const [outcome, count] of Object.entries(run.failures)) {
        how[outcome] = (how[outcome] ?? 0) + count;
      }
    }
    const lost = runs.reduce((sum, run) => sum + run.lost, 0);
    const requests = runs.reduce((sum, run) => sum + run.requests, 0);
    failureRows.push([
      failure === "killed" ? "killed" : `hung ${options.hangMs / 1_000} s`,
      formName(form, leaseMs),
      String(connections),
      runs.map((run) => run.lost).join(", "),
      `${lost} of ${requests}`,
      Object.entries(how)
        .map(([outcome, count]) => `${count} × ${outcome}`)
        .join(", ") || "-",
      runs.map((run) => run.slowerThanOneSecond).join(", "),
      Math.max(...runs.map((run) => run.maxMs)).toFixed(0),
    ]);
  }
  return [
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), ${process.platform}, node ${process.versions.node}, nats-server ${benchmark.natsServerVersion}, ab ${benchmark.abVersion}`,
    `Football: request form vs job form. Each: its own nats-server (JetStream for the job form), one gateway process, two worker processes (serve --workers 1 each; job form: --jobs --job-lease ${options.leaseMs}). Basic: fastify doing the maths in one process.`,
    `Throughput: ${benchmark.command}; ${options.repetitions} interleaved repetition(s), median (min-max); CPU per request in microseconds.`,
    formatTable(["form", "-c", "requests/s", "p50 ms", "p99 ms", "HTTP process µs", "workers µs", "nats-server µs", "machine busy %"], throughputRows),
    `Job form / request form, requests/s within each repetition: ${ratios.join("; ")}`,
    `A worker killed or hung: ${options.failureRepetitions} run(s) of each, of ${options.failureRequests} POSTs in a closed loop (undici, one in flight per connection); once a third are answered, one of the two workers is killed with SIGKILL, or hung: stopped with SIGSTOP, resumed with SIGCONT ${options.hangMs} ms later. Lost: not answered 2xx.`,
    formatTable(["worker", "form", "-c", "lost, each run", "lost in all", "how", "≥ 1 s, each run", "slowest ms"], failureRows),
  ].join("\n\n");
}

await runStandaloneBenchmark({
  title: "football: request form vs job form",
  usage,
  parse: parseOptions,
  run: runFootballFormsBenchmark,
  format: formatReport,
});
