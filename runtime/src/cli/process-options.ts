import cluster from "node:cluster";
import { Option, type Command } from "commander";
import type { Logger } from "pino";
import { logLevelEnvironmentName, logLevels, type LogLevel } from "./create-logger.js";
import { integerAtLeast, tcpPort } from "./parse-flags.js";
import { runWorkerPool } from "./worker-pool.js";

/** The flags of the commands that run until stopped (`serve`, `gateway`). */
export interface ProcessFlags {
  metricsPort?: number;
  metricsAddress: string;
  workers: number;
  drainTimeout: number;
  logLevel: LogLevel;
  trace?: boolean;
}

/**
 * Adds the flags of a command that runs until stopped: `--metrics-port`, `--metrics-address`,
 * `--workers` (said of the processes as `workersDescription`), `--trace`, `--drain-timeout` and
 * `--log-level`.
 */
export function addProcessOptions(command: Command, settings: { workersDescription: string; drainTimeoutMs: number }): Command {
  const environmentLevel = process.env[logLevelEnvironmentName];
  return command
    .addOption(new Option("--metrics-port <port>", "serve Prometheus metrics at http://ADDRESS:PORT/metrics").argParser(tcpPort))
    .addOption(new Option("--metrics-address <address>", "address the metrics endpoint listens on").default("127.0.0.1"))
    .addOption(new Option("-w, --workers <count>", settings.workersDescription).argParser(integerAtLeast(1)).default(1))
    .addOption(new Option("--trace", "send OpenTelemetry traces over OTLP/HTTP, configured by the OTEL_* variables (also when OTEL_TRACES_EXPORTER=otlp)"))
    .addOption(new Option("--drain-timeout <ms>", "how long to wait for requests in flight when stopping").argParser(integerAtLeast(0)).default(settings.drainTimeoutMs))
    .addOption(
      new Option("--log-level <level>", `log level (env ${logLevelEnvironmentName})`)
        .choices(logLevels)
        .default(environmentLevel !== undefined && (logLevels as readonly string[]).includes(environmentLevel) ? environmentLevel : "info"),
    );
}

/**
 * With `--workers` above 1, in the primary process: runs the pool of worker processes (each runs
 * this same command) until it stops, and resolves with its exit code. Otherwise `undefined`: this
 * process is to do the work itself.
 */
export async function runPoolIfAsked(flags: ProcessFlags, logger: Logger): Promise<number | undefined> {
  if (flags.workers <= 1 || !cluster.isPrimary) {
    return undefined;
  }
  return runWorkerPool({
    workers: flags.workers,
    logger,
    drainTimeoutMs: flags.drainTimeout,
    ...(flags.metricsPort === undefined ? {} : { metrics: { port: flags.metricsPort, host: flags.metricsAddress } }),
  });
}
