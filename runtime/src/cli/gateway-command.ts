import cluster from "node:cluster";
import { readFile } from "node:fs/promises";
import { Command, InvalidArgumentError, Option } from "commander";
import type { DescService } from "@bufbuild/protobuf";
import { serveGateway, type Gateway, type GatewayOptions } from "../gateway/serve-gateway.js";
import { createGatewayMetrics } from "../metrics/gateway-metrics.js";
import { createRpcMetrics } from "../metrics/rpc-metrics.js";
import type { MetricsEndpoint } from "../metrics/serve-metrics.js";
import { Code } from "../protocol/code.js";
import { exitCodeFromCode } from "../protocol/code-tables.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { createLogger } from "./create-logger.js";
import { describeFailure, ExitCode, exitCodeOf } from "./exit-codes.js";
import { commaList, integerAtLeast } from "./parse-flags.js";
import { waitForStopRequest } from "./stop-signals.js";
import { addProcessOptions, runPoolIfAsked, type ProcessFlags } from "./process-options.js";
import { logConnectionEvents, serveProcessMetrics, startTracingIfAsked, withinTimeout } from "./serving-process.js";
import { workerReadyMessage } from "./worker-pool.js";
import type { OtlpTracing } from "../tracing/start-otlp-tracing.js";

/** What the `gateway` command needs from the program around it. */
export interface GatewayCommandContext {
  /** The services to serve; a function when they are known only once the flags are read. */
  services(command: Command): readonly DescService[] | Promise<readonly DescService[]>;
  /** The program's own gateway options (an error renderer, JSON options ...); the flags win over them. */
  readonly gatewayOptions?: GatewayOptions;
  /** Connects with the program's connection flags. */
  connect(command: Command): Promise<NatsConnection>;
  /** The name in log lines. */
  readonly name: string;
}

interface GatewayFlags extends ProcessFlags {
  listen: { host: string; port: number };
  corsOrigin?: string[];
  maxBody?: number;
  maxTimeout?: number;
  maxConcurrent?: number;
  openapi?: string;
  jsonNames: "json" | "proto";
  jobs?: boolean;
}

/** How long stopping may take unless `--drain-timeout` says otherwise. */
const defaultGatewayDrainTimeoutMs = 25_000;

/**
 * The `gateway` command: serves the services over HTTP (see `serveGateway`) until SIGINT or
 * SIGTERM, then stops taking requests, answers those in flight and exits 0. `--workers N` runs N
 * processes that share the listening port (node:cluster), to use every core.
 */
export function createGatewayCommand(context: GatewayCommandContext): Command {
  const command = new Command("gateway")
    .description("serve the service over HTTP/JSON (google.api.http routes and the Connect protocol) until SIGINT or SIGTERM")
    .addOption(new Option("--listen <host:port>", "address and port to listen on").argParser(parseListen).default({ host: "127.0.0.1", port: 8080 }, "127.0.0.1:8080"))
    .addOption(new Option("--cors-origin <origins>", "origins allowed to call from browsers, comma-separated (* for any)").argParser(commaList))
    .addOption(new Option("--max-body <bytes>", "largest request body (413 above it); the NATS server's max_payload by default").argParser(integerAtLeast(1)))
    .addOption(new Option("--max-timeout <ms>", "longest deadline a request may ask for").argParser(integerAtLeast(1)))
    .addOption(new Option("--max-concurrent <count>", "requests served at once; more get 503 with Retry-After").argParser(integerAtLeast(1)))
    .addOption(new Option("--openapi <file>", "an OpenAPI document (the plugin's <file>.openapi.json) to serve at /openapi.json"))
    .addOption(new Option("--json-names <names>", "field names in JSON replies: json (lowerCamelCase) or proto").choices(["json", "proto"]).default("json"))
    .addOption(new Option("--jobs", "call the services through their durable job queues (served by serve --jobs) and wait for each result, rather than by NATS requests (docs/jobs.md)"));
  return addProcessOptions(command, { workersDescription: "processes to run, sharing the port", drainTimeoutMs: defaultGatewayDrainTimeoutMs })
    .action(async (flags: GatewayFlags, self: Command) => {
      const logger = createLogger({ level: flags.logLevel, service: `${context.name}-gateway` });
      const poolExitCode = await runPoolIfAsked(flags, logger);
      if (poolExitCode !== undefined) {
        process.exitCode = poolExitCode;
        return;
      }
      const stopRequested = waitForStopRequest(logger, { worker: cluster.isWorker });
      let nc: NatsConnection | undefined;
      let gateway: Gateway | undefined;
      let metricsEndpoint: MetricsEndpoint | undefined;
      let tracing: OtlpTracing | undefined;
      try {
        const services = await context.services(self);
        const openApi = flags.openapi === undefined ? undefined : (JSON.parse(await readFile(flags.openapi, "utf8")) as unknown);
        nc = await context.connect(self);
        tracing = await startTracingIfAsked(flags, nc);
        const rpcMetrics = flags.metricsPort === undefined ? undefined : createRpcMetrics({ processMetrics: true });
        const own = context.gatewayOptions ?? {};
        const clientOptions = flags.jobs === true ? await jobClientOptions(nc, own) : own.clientOptions;
        gateway = await serveGateway(nc, services, {
          ...own,
          ...(clientOptions === undefined ? {} : { clientOptions }),
          ...(tracing === undefined ? {} : { interceptors: [tracing.clientInterceptor, ...(own.interceptors ?? [])] }),
          host: flags.listen.host,
          port: flags.listen.port,
          json: { ...own.json, ...(flags.jsonNames === "proto" ? { useProtoFieldName: true } : {}) },
          ...(flags.corsOrigin === undefined ? {} : { cors: { origins: flags.corsOrigin } }),
          ...(flags.maxBody === undefined ? {} : { maxBodyBytes: flags.maxBody }),
          ...(flags.maxTimeout === undefined ? {} : { maxTimeoutMs: flags.maxTimeout }),
          ...(flags.maxConcurrent === undefined ? {} : { maxConcurrentRequests: flags.maxConcurrent }),
          ...(openApi === undefined ? {} : { openApi }),
          ...(rpcMetrics === undefined ? {} : { metrics: rpcMetrics, httpMetrics: createGatewayMetrics({ registry: rpcMetrics.registry }) }),
        });
        metricsEndpoint = rpcMetrics === undefined ? undefined : await serveProcessMetrics(rpcMetrics.registry, flags);
        logConnectionEvents(nc, logger);
        logger.info(
          {
            url: gateway.url,
            server: nc.getServer(),
            services: services.map((service) => service.typeName),
            calls: flags.jobs === true ? "jobs" : "requests",
            ...(metricsEndpoint === undefined ? {} : { metrics: metricsEndpoint.url }),
          },
          "gateway serving",
        );
        process.send?.(workerReadyMessage);
        const reason = await Promise.race([stopRequested, nc.closed().then((error) => ({ closed: error }))]);
        if (typeof reason === "object") {
          logger.error({ err: reason.closed }, "connection to NATS closed: cannot serve any more");
          await gateway.close();
          await metricsEndpoint?.close();
          await tracing?.shutdown();
          process.exitCode = exitCodeFromCode(Code.Unavailable);
          return;
        }
        logger.info({ reason }, "stopping: answering requests in flight");
        const drained = await withinTimeout(gateway.close(), flags.drainTimeout);
        await metricsEndpoint?.close();
        await tracing?.shutdown();
        await nc.drain();
        if (!drained) {
          logger.error({ drainTimeoutMs: flags.drainTimeout }, "drain timed out: exiting with requests unanswered");
          process.exit(ExitCode.Failure);
        }
        logger.info("stopped");
        process.exitCode = ExitCode.Ok;
      } catch (error) {
        logger.fatal(error instanceof RpcError ? { code: error.code, error: error.rawMessage } : { err: error }, "cannot serve the gateway");
        await gateway?.close();
        await metricsEndpoint?.close();
        await tracing?.shutdown();
        await nc?.close();
        process.stderr.write(`error: ${describeFailure(error)}\n`);
        process.exitCode = exitCodeOf(error);
      } finally {
        cluster.worker?.disconnect();
      }
    });
}

// "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:8080" (every address); ":8080" and "8080" listen on 127.0.0.1.
function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value.trim()) ?? /^()()(\d+)$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port > 65_535) {
    throw new InvalidArgumentError(`"${value}" is not HOST:PORT, such as 127.0.0.1:8080`);
  }
  const host = match[1] ?? match[2] ?? "";
  return { host: host === "" ? "127.0.0.1" : host, port };
}

// The client options of `--jobs`: each service called through its job queue, JetStream loaded only then.
async function jobClientOptions(nc: NatsConnection, own: GatewayOptions): Promise<NonNullable<GatewayOptions["clientOptions"]>> {
  const { jobTransport } = await import("../jobs/job-transport.js");
  return (service) => {
    const options = own.clientOptions?.(service);
    return { ...options, transport: jobTransport(nc, service, options?.name === undefined ? {} : { name: options.name }) };
  };
}
