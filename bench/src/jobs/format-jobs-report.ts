import { formatComparisons, formatTable, formatTargets } from "../format-report.js";
import { spreadOf, type Spread } from "../statistics.js";
import type { JobsBenchmark } from "./jobs-benchmark.js";
import { jobSystemNames } from "./job-systems.js";

/** The jobs benchmark's section of the report: what ran, one table of every system and outstanding count, the goals. */
export function formatJobsReport(benchmark: JobsBenchmark): string {
  const { options } = benchmark;
  const bullmq =
    benchmark.bullmqVersion === undefined
      ? "BullMQ not run"
      : `BullMQ ${benchmark.bullmqVersion} (ioredis ${benchmark.ioredisVersion ?? "unknown"}) on Redis ${benchmark.redisVersion ?? "unknown"} at ${options.redisAddress} (key prefix ${benchmark.redisPrefix}, deleted after)`;
  const sections = [
    `Durable jobs: enqueue -> result in a closed loop (N producers, each enqueueing a job and awaiting its result, then the next); ` +
      `the bench service's Score as the job; each system's worker (concurrency ${options.concurrency}) and producer in processes of their own; ` +
      `nats-server ${benchmark.natsServerVersion} with JetStream on a temporary file store; ${bullmq}; all on 127.0.0.1`,
  ];
  const rows = options.outstanding.flatMap((outstanding) =>
    benchmark.systems.flatMap((system) => {
      const own = benchmark.runs.filter((run) => run.system === system && run.outstanding === outstanding);
      if (own.length === 0) {
        return [];
      }
      const median = (values: (number | undefined)[]) => {
        const known = values.filter((value): value is number => value !== undefined && Number.isFinite(value));
        return known.length === 0 ? "-" : fixed(spreadOf(known).median, 0);
      };
      return [
        [
          String(outstanding),
          jobSystemNames[system],
          withRange(spreadOf(own.map((run) => run.jobsPerSecond)), 0),
          withRange(spreadOf(own.map((run) => run.p50Ms)), 2),
          withRange(spreadOf(own.map((run) => run.p99Ms)), 2),
          median(own.map((run) => run.producerCpuUs)),
          median(own.map((run) => run.workerCpuUs)),
          median(own.map((run) => run.brokerCpuUs)),
          `${fixed(spreadOf(own.map((run) => run.machineBusy * 100)).median, 0)}%`,
        ],
      ];
    }),
  );
  sections.push(
    `Median, min-max of ${options.repetitions} repetitions of ${options.durationMs} ms (at most ${options.maxJobs} jobs) after a ${options.warmupMs} ms warm-up; ` +
      `CPU in microseconds per job (broker: nats-server, or redis-server for BullMQ)\n` +
      formatTable(["outstanding", "system", "jobs/s", "p50 ms", "p99 ms", "producer CPU", "worker CPU", "broker CPU", "machine busy"], rows),
  );
  if (benchmark.targets.length > 0) {
    sections.push(`Jobs goals (ratios within each repetition)\n${formatTargets(benchmark.targets)}`);
  }
  if (benchmark.comparisons.length > 0) {
    sections.push(`Jobs latency, ours against the others (ratios within each repetition; lower is better)\n${formatComparisons(benchmark.comparisons)}`);
  }
  if (benchmark.notes.length > 0) {
    sections.push(benchmark.notes.map((note) => `Note: ${note}`).join("\n"));
  }
  return sections.join("\n\n");
}

function withRange(spread: Spread, digits: number): string {
  return `${fixed(spread.median, digits)} (${fixed(spread.min, digits)}-${fixed(spread.max, digits)})`;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}
