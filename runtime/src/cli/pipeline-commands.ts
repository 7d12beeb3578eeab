import { Command, Option } from "commander";
import { Code } from "../protocol/code.js";
import { exitCodeFromCode } from "../protocol/code-tables.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { createLogger, logLevels, type LogLevel } from "./create-logger.js";
import { describeFailure, ExitCode, exitCodeOf } from "./exit-codes.js";
import { commaList, integerAtLeast, tcpPort } from "./parse-flags.js";
import { waitForStopRequest } from "./stop-signals.js";
import { createPipelineDeadCommand } from "./pipeline-dead-commands.js";

/** What the `pipeline` commands need from the program around them. */
export interface PipelineCommandContext {
  /** Connects with the program's connection flags. */
  connect(command: Command): Promise<NatsConnection>;
  /** The name in log lines. */
  readonly name: string;
  /** Where command output goes: standard output unless set. */
  readonly write?: (text: string) => void;
}

interface StatusFlags {
  port: number;
  host: string;
  pipeline?: string;
  order?: string[];
  interval: number;
  maxClients: number;
  logLevel: LogLevel;
}

/**
 * The `pipeline` command: what runs beside the stops of any pipeline on the account, whichever
 * service they belong to. `pipeline status` serves the live status page (docs/pipelines.md) until
 * SIGINT or SIGTERM and logs its URL; `pipeline dead ls` and `pipeline dead replay <route-id>`
 * look after the dead letters.
 *
 * @example
 * metrobus pipeline status --port 8090 --pipeline Notify
 */
export function createPipelineCommand(context: PipelineCommandContext): Command {
  return new Command("pipeline")
    .description("look after the routing-slip pipelines on the account (docs/pipelines.md)")
    .addCommand(statusCommand(context))
    .addCommand(createPipelineDeadCommand(context));
}

function statusCommand(context: PipelineCommandContext): Command {
  return new Command("status")
    .description("serve a live web page of every pipeline stop's counters (found by $SRV discovery) until SIGINT or SIGTERM")
    .addOption(new Option("--port <port>", "TCP port of the page (0: any free one)").argParser(tcpPort).default(8090))
    .addOption(new Option("--host <address>", "address to listen on").default("127.0.0.1"))
    .addOption(new Option("--pipeline <name>", "show only the stops on this pipeline's declared route"))
    .addOption(new Option("--order <stops>", "stop names to list first, in this order (comma-separated)").argParser(commaList))
    .addOption(new Option("--interval <ms>", "how often to ask the stops for their counters").argParser(integerAtLeast(100)).default(1_000))
    .addOption(new Option("--max-clients <count>", "browsers following the live updates at once").argParser(integerAtLeast(1)).default(32))
    .addOption(new Option("--log-level <level>", "least severe log level to write").choices(logLevels).default("info"))
    .action(async (flags: StatusFlags, self: Command) => {
      const logger = createLogger({ level: flags.logLevel, service: `${context.name}-pipeline-status` });
      const stopRequested = waitForStopRequest(logger, { worker: false });
      let nc: NatsConnection | undefined;
      let page: import("../pipeline/status-page.js").StatusPage | undefined;
      try {
        // Loaded when used, as the jobs commands are: the pipeline entry is not every program's.
        const { serveStatusPage } = await import("../pipeline/status-page.js");
        nc = await context.connect(self);
        page = await serveStatusPage(nc, {
          port: flags.port,
          host: flags.host,
          intervalMs: flags.interval,
          maxClients: flags.maxClients,
          ...(flags.pipeline === undefined ? {} : { pipeline: flags.pipeline }),
          ...(flags.order === undefined ? {} : { order: flags.order }),
        });
        logger.info({ url: page.url, server: nc.getServer(), ...(flags.pipeline === undefined ? {} : { pipeline: flags.pipeline }) }, "pipeline status page serving");
        const reason = await Promise.race([stopRequested, nc.closed().then((error) => ({ closed: error }))]);
        await page.close();
        if (typeof reason === "object") {
          logger.error({ err: reason.closed }, "connection to NATS closed: cannot serve any more");
          process.exitCode = exitCodeFromCode(Code.Unavailable);
          return;
        }
        await nc.close();
        logger.info({ reason }, "stopped");
        process.exitCode = ExitCode.Ok;
      } catch (error) {
        logger.fatal({ err: error }, "cannot serve the pipeline status page");
        await page?.close();
        await nc?.close();
        process.stderr.write(`error: ${describeFailure(error)}\n`);
        process.exitCode = exitCodeOf(error);
      }
    });
}

