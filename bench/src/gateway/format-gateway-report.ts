import { formatTable, formatTargets } from "../format-report.js";
import { spreadOf, type Spread } from "../statistics.js";
import { gatewayAddedLatency, type GatewayBenchmark } from "./gateway-benchmark.js";

/** The gateway benchmark's section of the report: a table per connection count, the latency comparison, the targets. */
export function formatGatewayReport(benchmark: GatewayBenchmark): string {
  const { options } = benchmark;
  const sections = [
    `HTTP gateway: ${benchmark.command} (ab ${benchmark.abVersion}, nats-server ${benchmark.natsServerVersion}); ` +
      `football serve --workers ${options.serviceWorkers}; gateway --json-names proto; fastify in one process; all on 127.0.0.1`,
  ];
  const servers = [...new Set(benchmark.runs.map((run) => run.server))];
  for (const connections of options.connections) {
    const rows = servers.flatMap((server) => {
      const own = benchmark.runs.filter((run) => run.server === server && run.connections === connections);
      if (own.length === 0) {
        return [];
      }
      const median = (values: (number | undefined)[]) => {
        const known = values.filter((value): value is number => value !== undefined);
        return known.length === 0 ? "-" : fixed(spreadOf(known).median, 1);
      };
      return [
        [
          server,
          withRange(spreadOf(own.map((run) => run.requestsPerSecond)), 0),
          withRange(spreadOf(own.map((run) => run.p50Ms)), 2),
          withRange(spreadOf(own.map((run) => run.p99Ms)), 2),
          median(own.map((run) => run.httpServerCpuUs)),
          median(own.map((run) => run.workersCpuUs)),
          median(own.map((run) => run.natsServerCpuUs)),
          `${fixed(spreadOf(own.map((run) => run.machineBusy * 100)).median, 0)}%`,
        ],
      ];
    });
    sections.push(
      `-c ${connections} (median, min-max of ${options.repetitions} repetitions of ${options.requests} requests; CPU in microseconds per request)\n` +
        formatTable(["server", "requests/s", "p50 ms", "p99 ms", "HTTP server CPU", "workers CPU", "nats-server CPU", "machine busy"], rows),
    );
  }
  const added = gatewayAddedLatency(benchmark.latency);
  sections.push(
    `Latency, one call in flight (${options.latencyCalls} calls per path, the paths taking turns in blocks of 100)\n` +
      formatTable(
        ["path", "p50 ms", "p99 ms", "mean ms"],
        benchmark.latency.map((path) => [path.path, fixed(path.p50Ms, 3), fixed(path.p99Ms, 3), fixed(path.meanMs, 3)]),
      ) +
      (added === undefined ? "" : `\nAdded by the gateway over a direct NATS call: p50 ${fixed(added.p50Ms, 3)} ms, p99 ${fixed(added.p99Ms, 3)} ms`),
  );
  sections.push(`HTTP gateway targets (ratios within each repetition)\n${formatTargets(benchmark.targets)}`);
  return sections.join("\n\n");
}

function withRange(spread: Spread, digits: number): string {
  return `${fixed(spread.median, digits)} (${fixed(spread.min, digits)}-${fixed(spread.max, digits)})`;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}
