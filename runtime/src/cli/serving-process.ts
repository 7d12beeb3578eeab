import cluster from "node:cluster";
import type { Logger } from "pino";
import { AggregatorRegistry, type Registry } from "prom-client";
import { serveMetrics, type MetricsEndpoint } from "../metrics/serve-metrics.js";
import type { OtlpTracing } from "../tracing/start-otlp-tracing.js";
import { tracingRequestedByEnvironment } from "../tracing/tracing-environment.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import type { ProcessFlags } from "./process-options.js";

// What the commands that run until stopped (`serve`, `gateway`) do alike, besides their flags.

/** Starts OpenTelemetry tracing over OTLP when `--trace` or the environment asks for it. */
export async function startTracingIfAsked(flags: ProcessFlags, nc: NatsConnection): Promise<OtlpTracing | undefined> {
  if (flags.trace !== true && !tracingRequestedByEnvironment()) {
    return undefined;
  }
  // Loaded only when asked for: the OpenTelemetry SDK is an optional dependency.
  const { startOtlpTracing } = await import("../tracing/start-otlp-tracing.js");
  return startOtlpTracing(nc);
}

/**
 * Serves a process's metrics at `--metrics-port`: in a worker of a pool, through its primary,
 * which serves `/metrics` for all of them (prom-client asks each over IPC), so no endpoint here.
 */
export async function serveProcessMetrics(registry: Registry, flags: ProcessFlags): Promise<MetricsEndpoint | undefined> {
  if (flags.metricsPort === undefined) {
    return undefined;
  }
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([registry]);
    new AggregatorRegistry();
    return undefined;
  }
  return serveMetrics(registry, { port: flags.metricsPort, host: flags.metricsAddress });
}

// Whether the work finished within the time; it goes on in the background if not.
export async function withinTimeout(work: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([work.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

// One log line per connection event; the frequent ones (reconnect attempts, pings) only at debug.
export function logConnectionEvents(nc: NatsConnection, logger: Logger): void {
  void (async () => {
    for await (const status of nc.status()) {
      switch (status.type) {
        case "disconnect":
        case "ldm":
          logger.warn({ event: status.type, server: status.server }, `connection ${status.type}`);
          break;
        case "staleConnection":
          logger.warn({ event: status.type }, `connection ${status.type}`);
          break;
        case "error":
          logger.error({ event: status.type, error: status.error.message }, "connection error");
          break;
        case "reconnect":
          logger.info({ event: status.type, server: status.server }, "connection reconnect");
          break;
        case "close":
          // Said already: "stopped" follows the drain on a stop, "connection to NATS closed" a lost connection.
          break;
        default:
          logger.debug({ event: status.type }, `connection ${status.type}`);
      }
    }
  })();
}
