import cluster from "node:cluster";
import { Command, Option } from "commander";
import type { DescService } from "@bufbuild/protobuf";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import type { Logger } from "pino";
import { Code } from "../protocol/code.js";
import { createHost, type HostOptions } from "../host/create-host.js";
import { RpcError } from "../protocol/rpc-error.js";
import { createRpcMetrics } from "../metrics/rpc-metrics.js";
import type { MetricsEndpoint } from "../metrics/serve-metrics.js";
import type { ServiceDefinition } from "../service/service-definition.js";
import type { ServiceHandlers } from "../service/service-handlers.js";
import { createLogger } from "./create-logger.js";
import { exitCodeFromCode } from "../protocol/code-tables.js";
import { describeFailure, ExitCode, exitCodeOf } from "./exit-codes.js";
import { commaList, integerAtLeast } from "./parse-flags.js";
import { requestLogger } from "./request-logging.js";
import { waitForStopRequest } from "./stop-signals.js";
import type { OtlpTracing } from "../tracing/start-otlp-tracing.js";
import { addProcessOptions, runPoolIfAsked, type ProcessFlags } from "./process-options.js";
import { logConnectionEvents, serveProcessMetrics, startTracingIfAsked, withinTimeout } from "./serving-process.js";
import { workerReadyMessage } from "./worker-pool.js";
import type { HostEntryPoint } from "../host/host-entry-point.js";
import type { Registry } from "prom-client";

/** What `serve` gives a handlers function: the life of the process it serves in. */
export interface HandlersLifetime {
  /**
   * Runs `close` once the process has stopped serving (requests answered, jobs settled, the NATS
   * connection drained), or has failed to start, before it exits; `serve` waits for it, within
   * `--drain-timeout`. For what the handlers opened, such as a database pool.
   *
   * @example
   * export async function ordersHandlers(lifetime: HandlersLifetime): Promise<OrdersHandlers> {
   *   const pool = new Pool({ connectionString: process.env.DATABASE_URL });
   *   lifetime.onStopped(() => pool.end());
   *   return { ... };
   * }
   */
  onStopped(close: () => void | Promise<void>): void;
  /**
   * The NATS connection `serve` opens, once it is open (handlers are made before it): for handlers
   * that call other services or enqueue jobs. Rejects if the process stops before connecting.
   */
  connection(): Promise<NatsConnection>;
}

/** A service served beside the program's own (`ServiceCliOptions.alsoServe`). */
export interface AlsoServedContext {
  readonly service: DescService;
  /** Options for its `createHost` (its generated defaults, its interceptors). */
  readonly hostOptions: HostOptions;
  /** Its handlers, loaded once per process. */
  loadHandlers(lifetime: HandlersLifetime): Promise<ServiceHandlers<DescService>>;
}

/** What the `serve` command needs from the program around it. */
export interface ServeCommandContext<Service extends DescService> {
  readonly service: Service;
  readonly definition: ServiceDefinition;
  /** Options for `createHost` (the generated defaults). */
  readonly hostOptions: HostOptions;
  /** The handlers, loaded once per process. */
  loadHandlers(lifetime: HandlersLifetime): Promise<ServiceHandlers<Service>>;
  /** Services run beside this one, in the same process and on the same connection. */
  readonly alsoServed?: readonly AlsoServedContext[];
  /** Connects with the program's connection flags. */
  connect(command: Command): Promise<NatsConnection>;
}

interface ServeFlags extends ProcessFlags {
  maxConcurrent?: number;
  methods?: string[];
  jobs?: boolean;
  jobConcurrency: number;
  jobLease: number;
  pipeline?: boolean;
  pipelineConcurrency: number;
  pipelineLease: number;
}

/** The default of `--job-concurrency`. */
const defaultJobConcurrency = 8;

/** The default of `--job-lease`, in milliseconds. */
const defaultJobLeaseMs = 30_000;

/** The default of `--pipeline-concurrency`. */
const defaultPipelineConcurrency = 8;

/** The default of `--pipeline-lease`, in milliseconds. */
const defaultPipelineLeaseMs = 30_000;

/** How long a drain may take unless `--drain-timeout` says otherwise: within Kubernetes's 30 s grace period. */
export const defaultDrainTimeoutMs = 25_000;

/**
 * The `serve` command: runs the service until SIGINT or SIGTERM, then drains (requests in flight
 * are answered) and exits 0. Logs JSON lines on standard output; `--metrics-port` serves
 * Prometheus metrics; `--workers N` runs N processes in the service's queue group.
 */
export function createServeCommand<Service extends DescService>(context: ServeCommandContext<Service>): Command {
  const command = new Command("serve")
    .description(`run ${context.definition.name} until SIGINT or SIGTERM, then drain and exit`)
    .addOption(new Option("--methods <names>", "serve only these methods, comma-separated proto names (Average,Sum); all unless set").argParser(commaList))
    .addOption(new Option("--max-concurrent <count>", "requests served at once; more are refused at once with resource_exhausted").argParser(integerAtLeast(1)))
    .addOption(new Option("--jobs", "also run the methods' durable jobs from their JetStream work queue (docs/jobs.md)"))
    .addOption(new Option("--job-concurrency <count>", "jobs run at once by each process, with --jobs").argParser(integerAtLeast(1)).default(defaultJobConcurrency))
    .addOption(
      new Option("--job-lease <ms>", "how long a job stays taken without a sign of life from its process, with --jobs; a killed process's jobs run again after it")
        .argParser(integerAtLeast(1_000))
        .default(defaultJobLeaseMs),
    )
    .addOption(new Option("--pipeline", "also run the methods that are pipeline stops from their JetStream streams (docs/pipelines.md)"))
    .addOption(new Option("--pipeline-concurrency <count>", "pipeline messages handled at once by each process, over its stops, with --pipeline").argParser(integerAtLeast(1)).default(defaultPipelineConcurrency))
    .addOption(
      new Option("--pipeline-lease <ms>", "how long a pipeline message stays taken without a sign of life from its process, with --pipeline; a killed process's messages go to another after it")
        .argParser(integerAtLeast(1_000))
        .default(defaultPipelineLeaseMs),
    );
  return addProcessOptions(command, { workersDescription: "processes to run, each with its own connection, in the same queue group", drainTimeoutMs: defaultDrainTimeoutMs })
    .action(async (flags: ServeFlags, self: Command) => {
      const names = context.definition.endpoints.map((endpoint) => endpoint.name);
      const unknown = (flags.methods ?? []).filter((name) => !names.includes(name));
      if (unknown.length > 0) {
        self.error(`error: --methods: ${context.definition.service.typeName} has no method ${unknown.join(", ")} (its methods: ${names.join(", ")})`, { exitCode: ExitCode.Usage });
      }
      const logger = createLogger({ level: flags.logLevel, service: context.definition.name });
      const poolExitCode = await runPoolIfAsked(flags, logger);
      if (poolExitCode !== undefined) {
        process.exitCode = poolExitCode;
        return;
      }
      try {
        process.exitCode = await serveInstance(context, flags, self, logger);
      } finally {
        // A worker's channel to its primary would keep it alive after it has stopped. Through
        // the cluster API, so that node does not take the disconnect for a lost primary and exit 0.
        cluster.worker?.disconnect();
      }
    });
}

// Runs one instance in this process, from start to exit code.
async function serveInstance<Service extends DescService>(context: ServeCommandContext<Service>, flags: ServeFlags, command: Command, logger: Logger): Promise<number> {
  const isWorker = cluster.isWorker;
  // Listening at once, so that a signal during start-up is not lost.
  const stopRequested = waitForStopRequest(logger, { worker: isWorker });
  const closers: (() => void | Promise<void>)[] = [];
  let connected!: (nc: NatsConnection) => void;
  let notConnected!: (error: unknown) => void;
  const connection = new Promise<NatsConnection>((resolve, reject) => {
    connected = resolve;
    notConnected = reject;
  });
  // Nobody may be waiting for it when start-up fails.
  connection.catch(() => undefined);
  const lifetime: HandlersLifetime = { onStopped: (close) => void closers.push(close), connection: () => connection };
  // What the handlers opened is closed last, whatever the way out; a failure to close is logged, not thrown.
  const closeHandlers = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.error({ err: error }, "closing what the handlers opened failed");
      }
    }
  };
  let nc: NatsConnection | undefined;
  let metricsEndpoint: MetricsEndpoint | undefined;
  let tracing: OtlpTracing | undefined;
  try {
    const handlers = await context.loadHandlers(lifetime);
    const alsoServed = context.alsoServed ?? [];
    const alsoHandlers = [];
    for (const served of alsoServed) {
      alsoHandlers.push(await served.loadHandlers(lifetime));
    }
    nc = await context.connect(command);
    connected(nc);
    tracing = await startTracingIfAsked(flags, nc);
    const metrics = flags.metricsPort === undefined ? undefined : createRpcMetrics({ processMetrics: true });
    // Options of every host of the process: each has a job worker of its own with --jobs.
    const sharedOptions = async (hostOptions: HostOptions): Promise<HostOptions> => {
      const jobs = flags.jobs === true ? await jobEntryPoint(flags, logger, metrics?.registry) : undefined;
      const stops = flags.pipeline === true ? await pipelineEntryPoint(flags, logger, metrics?.registry) : undefined;
      const added = [jobs, stops].filter((entryPoint): entryPoint is HostEntryPoint => entryPoint !== undefined);
      return {
        ...hostOptions,
        ...(added.length === 0 ? {} : { entryPoints: [...(hostOptions.entryPoints ?? []), ...added] }),
        ...(tracing === undefined ? {} : { interceptors: [tracing.interceptor, ...(hostOptions.interceptors ?? [])] }),
        ...(metrics === undefined ? {} : { metrics }),
        ...(flags.maxConcurrent === undefined ? {} : { maxConcurrentRequests: flags.maxConcurrent }),
        onRequestFinished: requestLogger(logger),
      };
    };
    const connection = nc;
    const host = await createHost(connection, context.service, handlers, {
      ...(await sharedOptions(context.hostOptions)),
      ...(flags.methods === undefined ? {} : { methods: flags.methods }),
    });
    const hosts = [host];
    try {
      for (const [index, served] of alsoServed.entries()) {
        hosts.push(await createHost(connection, served.service, alsoHandlers[index]!, await sharedOptions(served.hostOptions)));
      }
    } catch (error) {
      await Promise.allSettled(hosts.map((started) => started.stop()));
      throw error;
    }
    metricsEndpoint = metrics === undefined ? undefined : await serveProcessMetrics(metrics.registry, flags);
    logConnectionEvents(nc, logger);
    logger.info(
      {
        version: host.definition.version,
        instance: host.id,
        server: nc.getServer(),
        endpoints: host.definition.endpoints.map(({ name, subject }) => `${name} ${subject}`),
        ...(hosts.length === 1
          ? {}
          : {
              alsoServing: hosts.slice(1).map((other) => ({
                service: other.definition.name,
                version: other.definition.version,
                instance: other.id,
                endpoints: other.definition.endpoints.map(({ name, subject }) => `${name} ${subject}`),
              })),
            }),
        ...(flags.jobs === true ? { jobs: { concurrency: flags.jobConcurrency, leaseMs: flags.jobLease } } : {}),
        ...(flags.pipeline === true ? { pipeline: { concurrency: flags.pipelineConcurrency, leaseMs: flags.pipelineLease } } : {}),
        ...(metricsEndpoint === undefined ? {} : { metrics: metricsEndpoint.url }),
      },
      "serving",
    );
    process.send?.(workerReadyMessage);

    const reason = await Promise.race([stopRequested, nc.closed().then((error) => ({ closed: error }))]);
    if (typeof reason === "object") {
      logger.error({ err: reason.closed }, "connection to NATS closed: cannot serve any more");
      await metricsEndpoint?.close();
      await tracing?.shutdown();
      await closeHandlers();
      return exitCodeFromCode(Code.Unavailable);
    }
    logger.info({ reason, drainTimeoutMs: flags.drainTimeout }, "stopping: answering requests in flight");
    // What the drain still waits for, for the log when it times out.
    const stillStopping = new Set(hosts.map((started) => started.definition.name));
    let waitingFor = "the hosts to answer their requests and end their jobs";
    const drained = await withinTimeout(
      (async () => {
        await Promise.all(hosts.map((started) => started.stop().then(() => stillStopping.delete(started.definition.name))));
        waitingFor = "the connection to drain";
        await connection.drain();
        waitingFor = "what the handlers opened to close";
        await closeHandlers();
      })(),
      flags.drainTimeout,
    );
    await metricsEndpoint?.close();
    // The spans not yet sent go now.
    await tracing?.shutdown();
    if (!drained) {
      logger.error({ drainTimeoutMs: flags.drainTimeout, waitingFor, hostsStopping: [...stillStopping] }, "drain timed out: exiting with requests unanswered");
      // Handlers still running would keep the process alive; the timeout is there to end it.
      process.exit(ExitCode.Failure);
    }
    logger.info("stopped");
    return ExitCode.Ok;
  } catch (error) {
    // An RpcError says all in its code and message; anything else is a bug, worth its stack.
    logger.fatal(error instanceof RpcError ? { code: error.code, error: error.rawMessage } : { err: error }, "cannot serve");
    await metricsEndpoint?.close();
    await tracing?.shutdown();
    await nc?.close();
    notConnected(error);
    await closeHandlers();
    process.stderr.write(`error: ${describeFailure(error)}\n`);
    return exitCodeOf(error);
  }
}

/**
 * How long a stopping job worker or stop runner lets its work finish, out of the drain timeout:
 * the rest is kept for what follows, giving the unfinished work back to JetStream (a write of its
 * record, a nak), which can take up to a JetStream request's timeout (5 s) on a busy server; so
 * 5 s of the drain are kept (a fifth of a long one, half of a short one).
 */
export function stopGraceMs(drainTimeoutMs: number): number {
  const reserveMs = Math.min(drainTimeoutMs / 2, Math.max(5_000, drainTimeoutMs / 5));
  return Math.floor(drainTimeoutMs - reserveMs);
}

// The job worker of `--jobs`, loaded only then: a plain host loads no JetStream client. Jobs get
// most of the drain timeout to finish before they are given back to the queue.
async function jobEntryPoint(flags: ServeFlags, logger: Logger, registry: Registry | undefined): Promise<HostEntryPoint> {
  const { serveJobs } = await import("../jobs/serve-jobs.js");
  const { createJobMetrics } = await import("../metrics/job-metrics.js");
  return serveJobs({
    concurrency: flags.jobConcurrency,
    leaseMs: flags.jobLease,
    stopGraceMs: stopGraceMs(flags.drainTimeout),
    ...(registry === undefined ? {} : { metrics: createJobMetrics({ registry }) }),
    onJobFinished: ({ method, outcome, durationMs, error }) => {
      const fields = { job: { method, outcome, durationMs }, ...(error === undefined ? {} : { code: error.code, error: error.rawMessage }) };
      // As requests are logged at debug; what needs a look at more.
      if (outcome === "failed" || outcome === "dead") {
        logger.warn(fields, "job ended without success");
      } else if (outcome === "retried") {
        logger.info(fields, "job attempt failed: retrying");
      } else {
        logger.debug(fields, "job");
      }
    },
  });
}

// The stops' runner of `--pipeline`, loaded only then, as the job worker is. Messages get most of
// the drain timeout to finish before they are given back to their streams.
async function pipelineEntryPoint(flags: ServeFlags, logger: Logger, registry: Registry | undefined): Promise<HostEntryPoint> {
  const { servePipeline } = await import("../pipeline/serve-pipeline.js");
  const { createPipelineMetrics } = await import("../metrics/pipeline-metrics.js");
  return servePipeline({
    concurrency: flags.pipelineConcurrency,
    leaseMs: flags.pipelineLease,
    stopGraceMs: stopGraceMs(flags.drainTimeout),
    ...(registry === undefined ? {} : { metrics: createPipelineMetrics({ registry }) }),
    onHop: ({ stop, pipeline, routeId, outcome, next, durationMs, error }) => {
      const fields = { hop: { stop, pipeline, route: routeId, outcome, durationMs, ...(next === undefined ? {} : { next }) }, ...(error === undefined ? {} : { code: error.code, error: error.rawMessage }) };
      // As requests are logged at debug; what needs a look at more.
      if (outcome === "dead_lettered") {
        logger.warn(fields, "pipeline message dead-lettered");
      } else if (outcome === "retried") {
        logger.info(fields, "pipeline attempt failed: retrying");
      } else {
        logger.debug(fields, "pipeline hop");
      }
    },
  });
}
