import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { EntryPointHost, HostEntryPoint, RunningEntryPoint } from "../host/host-entry-point.js";
import type { HostEndpoint } from "../host/host-endpoint.js";
import { startPullLanes, type PullSource } from "../transport/nats/jetstream-pull-lanes.js";
import { createLeaseRenewer } from "../transport/nats/jetstream-lease-renewer.js";
import { createSlotPool } from "../transport/nats/slot-pool.js";
import { createJobCounters, jobStatsData, type JobCounters, type JobOutcome } from "./job-counters.js";
import type { JobMetrics } from "./job-metrics.js";
import { readQueueDepth } from "./queue-depth.js";
import { runJob, type JobWorker } from "./run-job.js";
import { ensureJobConsumers, openJobStore, type JobStore, type JobStoreOptions } from "./job-store.js";

/** Options of {@link serveJobs}. */
export interface JobWorkerOptions extends JobStoreOptions {
  /** The most jobs this worker runs at once, over all methods; 8 unless set. */
  concurrency?: number;
  /**
   * How long a job stays taken without a sign of life from its worker, in milliseconds: a worker
   * that is killed has its jobs delivered to another after this. The worker renews the lease of
   * each job it holds every third of it. 30 s unless set.
   */
  leaseMs?: number;
  /**
   * How long a stopping worker lets its running jobs finish, in milliseconds; then their signals
   * are aborted and the jobs that do not finish are given back to the queue, the attempt not
   * counted. 10 s unless set.
   */
  stopGraceMs?: number;
  /** Prometheus metrics (see `createJobMetrics` in `nats-micro-runtime/metrics`). */
  metrics?: JobMetrics;
  /** How often the depth of each queue is read for the stats and metrics, in milliseconds; 5 s unless set. */
  queueStatsIntervalMs?: number;
  /** Told of each job delivery the worker is done with, for logs. */
  onJobFinished?: (job: FinishedJob) => void;
}

/** A job delivery a worker is done with. */
export interface FinishedJob {
  /** The method (ADR-32 endpoint name). */
  readonly method: string;
  readonly outcome: JobOutcome;
  readonly durationMs: number;
  /** The error of the attempt, for `retried`, `failed` and `dead`. */
  readonly error: RpcError | undefined;
}

/**
 * Runs a host's handlers as durable jobs too (docs/jobs.md): pass it in the host's `entryPoints`.
 * The worker takes the jobs of each served method from the service's JetStream work queue, runs
 * each through the host's one call path (its interceptors, stats and metrics), and stores what
 * came of it. Streams, bucket and consumers are created when missing.
 *
 * @example
 * const host = await serveCalc(nc, handlers, { entryPoints: [serveJobs({ concurrency: 16 })] });
 */
export function serveJobs(options: JobWorkerOptions = {}): HostEntryPoint {
  const concurrency = options.concurrency ?? 8;
  const leaseMs = options.leaseMs ?? 30_000;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new Error(`jobs: concurrency must be a whole number of at least 1, got ${concurrency}`);
  }
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 1_000) {
    throw new Error(`jobs: leaseMs must be a whole number of milliseconds, at least 1000, got ${leaseMs}`);
  }
  return {
    name: "jobs",
    start: (host) => startWorker(host, options, concurrency, leaseMs),
  };
}

async function startWorker(host: EntryPointHost, options: JobWorkerOptions, concurrency: number, leaseMs: number): Promise<RunningEntryPoint> {
  const { definition } = host;
  const store = await openJobStore(host.nc, definition, options);
  await ensureJobConsumers(store, definition, leaseMs);
  const counters = new Map(host.endpoints.map((endpoint) => [endpoint.definition.name, createJobCounters()]));
  const stopController = new AbortController();
  const { metrics, onJobFinished } = options;
  const worker: JobWorker = {
    nc: host.nc,
    store,
    hostId: host.id,
    leaseMs,
    leases: createLeaseRenewer(leaseMs),
    stopSignal: stopController.signal,
    started(endpoint) {
      counters.get(endpoint.definition.name)!.running += 1;
    },
    finished(endpoint, outcome, startedAt, error) {
      const method = endpoint.definition.name;
      const jobCounters = counters.get(method)!;
      jobCounters.running -= 1;
      if (outcome === undefined) {
        return; // dropped or put back: no attempt ended
      }
      const durationMs = Date.now() - startedAt;
      jobCounters.outcomes[outcome] += 1;
      metrics?.jobs.inc({ service: definition.name, method, outcome });
      metrics?.duration.observe({ service: definition.name, method, outcome }, durationMs / 1000);
      onJobFinished?.({ method, outcome, durationMs, error });
    },
  };
  // One lane per place and method, each pulling one job at a time into a free place.
  const sources: PullSource[] = [];
  for (const endpoint of host.endpoints) {
    const consumer = await store.js.consumers.get(store.names.workStream, store.names.consumer(endpoint.definition.name));
    sources.push({ consumer, run: (msg) => runJob(worker, endpoint, msg) });
  }
  const lanes = startPullLanes(sources, createSlotPool(concurrency), { lanes: concurrency, batch: 1, leases: worker.leases });

  const queueStats = setInterval(() => void refreshQueueStats(store, host.endpoints, counters, metrics, definition.name), options.queueStatsIntervalMs ?? 5_000);
  queueStats.unref();
  void refreshQueueStats(store, host.endpoints, counters, metrics, definition.name);

  let stopped: Promise<void> | undefined;
  return {
    statsData: (endpoint) => {
      const jobCounters = counters.get(endpoint);
      return jobCounters === undefined ? undefined : jobStatsData(jobCounters);
    },
    stop() {
      stopped ??= (async () => {
        clearInterval(queueStats);
        const settled = lanes.stop();
        const grace = options.stopGraceMs ?? 10_000;
        const timer = setTimeout(() => stopController.abort(new RpcError("the job worker is stopping", Code.Unavailable)), grace);
        await settled;
        clearTimeout(timer);
        worker.leases.close();
      })();
      return stopped;
    },
  };
}

// Reads the depth and oldest age of each method's queue into the counters and gauges.
async function refreshQueueStats(
  store: JobStore,
  endpoints: readonly HostEndpoint[],
  counters: ReadonlyMap<string, JobCounters>,
  metrics: JobMetrics | undefined,
  service: string,
): Promise<void> {
  for (const endpoint of endpoints) {
    const method = endpoint.definition.name;
    const queue = await readQueueDepth(store, method).catch(() => undefined);
    if (queue !== undefined) {
      counters.get(method)!.queue = queue;
      metrics?.queued.set({ service, method }, queue.pending);
      metrics?.oldestAge.set({ service, method }, queue.oldestAgeMs / 1000);
    }
  }
}
