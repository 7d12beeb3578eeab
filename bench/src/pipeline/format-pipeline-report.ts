import { formatComparisons, formatTable, formatTargets } from "../format-report.js";
import { spreadOf, type Spread } from "../statistics.js";
import { hops, type PipelineBenchmark } from "./pipeline-benchmark.js";
import { benchStops, pipelineSystemNames, pipelineSystems } from "./pipeline-systems.js";

/** The pipeline benchmark's section of the report: what ran, one table of every run's medians, the time a hop adds, the goals. */
export function formatPipelineReport(benchmark: PipelineBenchmark): string {
  const { options } = benchmark;
  const sections = [
    `Pipelines: account records through the metrobus route (${benchStops.join(" -> ")}, ${hops} hops) in a closed loop (N callers, each starting a record and ` +
      `awaiting the last stop's announcement, then the next); the example's handlers over in-memory lookups in both systems; ` +
      `each instance of the stops a process with the four stops (${options.perStop} records at once per stop); ` +
      `nats-server ${benchmark.natsServerVersion} with JetStream on a temporary file store; all on 127.0.0.1`,
  ];
  const rows = options.instances.flatMap((instances) =>
    options.outstanding.flatMap((outstanding) =>
      pipelineSystems.flatMap((system) => {
        const own = benchmark.runs.filter((run) => run.system === system && run.instances === instances && run.outstanding === outstanding);
        if (own.length === 0) {
          return [];
        }
        const median = (values: number[]) => fixed(spreadOf(values).median, 0);
        return [
          [
            String(instances),
            String(outstanding),
            pipelineSystemNames[system],
            withRange(spreadOf(own.map((run) => run.recordsPerSecond)), 0),
            withRange(spreadOf(own.map((run) => run.p50Ms)), 2),
            withRange(spreadOf(own.map((run) => run.p99Ms)), 2),
            fixed(spreadOf(own.map((run) => run.p50Ms / hops)).median, 2),
            fixed(spreadOf(own.map((run) => run.p99Ms / hops)).median, 2),
            median(own.map((run) => run.producerCpuUs)),
            median(own.map((run) => run.stopsCpuUs)),
            median(own.map((run) => run.brokerCpuUs)),
            `${fixed(spreadOf(own.map((run) => run.machineBusy * 100)).median, 0)}%`,
          ],
        ];
      }),
    ),
  );
  sections.push(
    `Median, min-max of ${options.repetitions} repetitions of ${options.durationMs} ms (at most ${options.maxRecords} records) after a ${options.warmupMs} ms warm-up; ` +
      `latency from the start of a record to its announcement, and per hop (/${hops}); CPU in microseconds per record\n` +
      formatTable(
        ["instances", "outstanding", "system", "records/s", "p50 ms", "p99 ms", "hop p50", "hop p99", "producer CPU", "stops CPU", "nats-server CPU", "machine busy"],
        rows,
      ),
  );
  if (benchmark.hopCosts.length > 0) {
    sections.push(
      `Time a hop adds, ours - ${pipelineSystemNames.bare} ((ours - bare) / ${hops} within each repetition; median, min-max, ms)\n` +
        formatTable(
          ["instances", "outstanding", "p50", "p99"],
          benchmark.hopCosts.map((cost) => [String(cost.instances), String(cost.outstanding), withRange(cost.p50Ms, 3), withRange(cost.p99Ms, 3)]),
        ),
    );
  }
  if (benchmark.targets.length > 0) {
    sections.push(`Pipeline goals (ratios within each repetition)\n${formatTargets(benchmark.targets)}`);
  }
  if (benchmark.comparisons.length > 0) {
    sections.push(`Pipeline latency, ours against the bare chain (ratios within each repetition; lower is better)\n${formatComparisons(benchmark.comparisons)}`);
  }
  return sections.join("\n\n");
}

function withRange(spread: Spread, digits: number): string {
  return `${fixed(spread.median, digits)} (${fixed(spread.min, digits)}-${fixed(spread.max, digits)})`;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}
