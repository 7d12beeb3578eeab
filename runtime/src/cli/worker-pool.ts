import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import { AggregatorRegistry } from "prom-client";
import { serveMetrics, type MetricsEndpoint } from "../metrics/serve-metrics.js";
import { ExitCode } from "./exit-codes.js";
import { waitForStopRequest } from "./stop-signals.js";

/** The message a worker sends its primary once it serves. */
export const workerReadyMessage = { type: "nats-micro:worker-ready" } as const;

/** Options of {@link runWorkerPool}. */
export interface WorkerPoolOptions {
  /** How many workers to keep running. */
  workers: number;
  logger: Logger;
  /** How long each worker may drain; the primary kills workers that take much longer. */
  drainTimeoutMs: number;
  /** Serve the workers' metrics, summed, on this port and address. */
  metrics?: { port: number; host: string };
  /** Restart back-off: the first delay, doubled after each crash in a row up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

// A worker that served this long before it crashed starts again with the shortest back-off.
const stableAfterMs = 30_000;
// Time a worker is given beyond its own drain timeout before it is killed.
const killGraceMs = 5_000;

interface Slot {
  worker: Worker | undefined;
  /** Whether a worker in this slot has ever served: a worker that fails before is a start-up failure. */
  served: boolean;
  readyAt: number;
  crashesInARow: number;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * Runs `serve` in `workers` child processes (node `cluster`: each runs this same program, opens
 * its own connection and joins the service's queue group), and keeps them running:
 *
 * - a worker that crashes after it served is restarted after a back-off with jitter (0.5 s, 1 s,
 *   2 s, ... up to 30 s; back to 0.5 s once a worker has served for 30 s);
 * - a worker that fails before it ever served (bad credentials, no server) stops the pool, which
 *   exits with that worker's exit code: restarting would fail the same way;
 * - SIGINT or SIGTERM sends SIGTERM to every worker, waits until they have drained and exits 0;
 *   a second signal kills them and exits at once;
 * - with `metrics`, the primary serves `/metrics` for all workers (prom-client's cluster
 *   aggregation: counters and histograms summed).
 *
 * Resolves with the exit code of the pool.
 */
export async function runWorkerPool(options: WorkerPoolOptions): Promise<number> {
  const { logger } = options;
  const initialBackoffMs = options.initialBackoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const slots: Slot[] = Array.from({ length: options.workers }, () => ({ worker: undefined, served: false, readyAt: 0, crashesInARow: 0, restartTimer: undefined }));
  let stopping = false;
  let exitCode: number = ExitCode.Ok;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  let metricsEndpoint: MetricsEndpoint | undefined;
  if (options.metrics !== undefined) {
    const aggregator = new AggregatorRegistry();
    metricsEndpoint = await serveMetrics({ metrics: () => aggregator.clusterMetrics(), contentType: aggregator.contentType }, options.metrics);
  }

  const stopAll = (reason: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ reason }, "stopping workers");
    for (const slot of slots) {
      clearTimeout(slot.restartTimer);
      slot.worker?.process.kill("SIGTERM");
    }
    // A worker stuck past its own drain timeout is killed, so that the pool always ends.
    setTimeout(() => {
      for (const slot of slots) {
        slot.worker?.process.kill("SIGKILL");
      }
    }, options.drainTimeoutMs + killGraceMs).unref();
    finishWhenAllGone();
  };

  const finishWhenAllGone = () => {
    if (stopping && slots.every((slot) => slot.worker === undefined)) {
      resolveDone();
    }
  };

  const start = (index: number) => {
    const slot = slots[index]!;
    slot.restartTimer = undefined;
    const worker = cluster.fork();
    slot.worker = worker;
    worker.on("message", (message: unknown) => {
      if ((message as { type?: unknown } | null)?.type === workerReadyMessage.type) {
        slot.served = true;
        slot.readyAt = Date.now();
      }
    });
    worker.on("exit", (code, signal) => {
      slot.worker = undefined;
      const exit = { worker: index, workerPid: worker.process.pid, code, signal };
      if (stopping) {
        if (code !== 0 && exitCode === ExitCode.Ok) {
          exitCode = ExitCode.Failure;
        }
        logger.info(exit, "worker stopped");
        finishWhenAllGone();
        return;
      }
      if (!slot.served) {
        logger.error(exit, "worker failed before it served: stopping");
        exitCode = code ?? ExitCode.Failure;
        stopAll("a worker failed to start");
        return;
      }
      if (Date.now() - slot.readyAt >= stableAfterMs) {
        slot.crashesInARow = 0;
      }
      const backoff = Math.min(maxBackoffMs, initialBackoffMs * 2 ** slot.crashesInARow);
      // Jitter, so that workers that crashed together do not all come back in the same instant.
      const delayMs = Math.round(backoff * (0.5 + Math.random() / 2));
      slot.crashesInARow += 1;
      logger.warn({ ...exit, restartInMs: delayMs }, "worker exited: restarting");
      slot.restartTimer = setTimeout(() => start(index), delayMs);
    });
  };

  void waitForStopRequest(logger, {
    worker: false,
    beforeForcedExit: () => {
      for (const slot of slots) {
        slot.worker?.process.kill("SIGKILL");
      }
    },
  }).then(stopAll);

  logger.info({ workers: options.workers, ...(metricsEndpoint === undefined ? {} : { metrics: metricsEndpoint.url }) }, "starting workers");
  slots.forEach((_, index) => start(index));
  await done;
  await metricsEndpoint?.close();
  logger.info({ exitCode }, "stopped");
  return exitCode;
}
