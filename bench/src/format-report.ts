import type { CodegenBenchmark } from "./codegen-benchmark.js";
import type { CaseRun } from "./measure-cases.js";
import type { MemoryCheck } from "./memory-check.js";
import { spreadOf, type Spread } from "./statistics.js";
import type { Comparison, TargetCheck } from "./target-checks.js";

/** The medians and ranges of one case at one in-flight setting, over its repetitions. */
export interface CaseSummary {
  kind: string;
  inFlight: number;
  repetitions: number;
  requestsPerSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  clientCpuUs: Spread;
  serverCpuUs: Spread;
  natsServerCpuUs: Spread | undefined;
}

/** Summarises the runs, case by case, in the order the cases are listed. */
export function summarize(runs: readonly CaseRun[], kinds: readonly string[], inFlight: readonly number[]): CaseSummary[] {
  const summaries: CaseSummary[] = [];
  for (const requestsInFlight of inFlight) {
    for (const kind of kinds) {
      const own = runs.filter((run) => run.kind === kind && run.inFlight === requestsInFlight);
      if (own.length === 0) {
        continue;
      }
      const nats = own.flatMap((run) => (run.natsServerCpuUs === undefined ? [] : [run.natsServerCpuUs]));
      summaries.push({
        kind,
        inFlight: requestsInFlight,
        repetitions: own.length,
        requestsPerSecond: spreadOf(own.map((run) => run.requestsPerSecond)),
        p50Ms: spreadOf(own.map((run) => run.p50Ms)),
        p99Ms: spreadOf(own.map((run) => run.p99Ms)),
        clientCpuUs: spreadOf(own.map((run) => run.clientCpuUs)),
        serverCpuUs: spreadOf(own.map((run) => run.serverCpuUs)),
        natsServerCpuUs: nats.length === 0 ? undefined : spreadOf(nats),
      });
    }
  }
  return summaries;
}

/** One table per in-flight setting: medians, with min–max of the repetitions. */
export function formatCaseTables(summaries: readonly CaseSummary[]): string {
  const sections: string[] = [];
  for (const inFlight of [...new Set(summaries.map((summary) => summary.inFlight))]) {
    const rows = summaries
      .filter((summary) => summary.inFlight === inFlight)
      .map((summary) => [
        summary.kind,
        withRange(summary.requestsPerSecond, 0),
        withRange(summary.p50Ms, 3),
        withRange(summary.p99Ms, 3),
        fixed(summary.clientCpuUs.median, 1),
        fixed(summary.serverCpuUs.median, 1),
        summary.natsServerCpuUs === undefined ? "-" : fixed(summary.natsServerCpuUs.median, 1),
      ]);
    sections.push(
      `${inFlight} in flight (median, min-max of ${summaries[0]?.repetitions ?? 0} repetitions; CPU in microseconds per request)\n` +
        formatTable(["case", "requests/s", "p50 ms", "p99 ms", "client CPU", "server CPU", "nats-server CPU"], rows),
    );
  }
  return sections.join("\n\n");
}

/** The targets with their measured ratios. */
export function formatTargets(checks: readonly TargetCheck[]): string {
  const rows = checks.map((check) => [
    check.name,
    `${fixed(check.ratio.median, 2)} (${fixed(check.ratio.min, 2)}-${fixed(check.ratio.max, 2)})`,
    `${check.bound} ${check.limit}`,
    check.met ? "met" : "MISSED",
  ]);
  return formatTable(["target", "ratio", "bound", "result"], rows);
}

/** Ratios shown without a bound (nats.js v3 against v2). */
export function formatComparisons(comparisons: readonly Comparison[]): string {
  const rows = comparisons.map((comparison) => [
    comparison.name,
    `${fixed(comparison.ratio.median, 2)} (${fixed(comparison.ratio.min, 2)}-${fixed(comparison.ratio.max, 2)})`,
  ]);
  return formatTable(["comparison", "ratio"], rows);
}

/** The host memory check in one paragraph. */
export function formatMemory(memory: MemoryCheck): string {
  const mib = (bytes: number) => `${fixed(bytes / 1_048_576, 1)} MiB`;
  return formatTable(
    ["after requests", "RSS", "heap used", "external"],
    memory.readings.map((reading) => [String(reading.requests), mib(reading.rssBytes), mib(reading.heapUsedBytes), mib(reading.externalBytes)]),
  );
}

/** The code generation benchmark. */
export function formatCodegen(codegen: CodegenBenchmark): string {
  return (
    `${codegen.services} services, ${codegen.methods} methods in ${codegen.files} files; one CodeGeneratorRequest of ` +
    `${codegen.requestBytes} bytes on each plugin's stdin, ${codegen.repetitions} repetitions\n` +
    formatTable(
      ["plugin", "ms (median, min-max)", "files written"],
      [
        ["protoc-gen-es", withRange(codegen.protocGenEsMs, 0), String(codegen.protocGenEsFiles)],
        ["protoc-gen-nats", withRange(codegen.protocGenNatsMs, 0), String(codegen.protocGenNatsFiles)],
      ],
    )
  );
}

/** A plain-text table with aligned columns, also valid Markdown. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

function withRange(spread: Spread, digits: number): string {
  return `${fixed(spread.median, digits)} (${fixed(spread.min, digits)}-${fixed(spread.max, digits)})`;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}
