import { Command, Option } from "commander";
import { Code } from "../protocol/code.js";
import type { InfoResponse, PingResponse, StatsResponse } from "../host/micro-discovery.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { ServiceDefinition } from "../service/service-definition.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { requestEveryInstance } from "../transport/nats/request-every-instance.js";
import { formatTable } from "./format-table.js";
import { integerAtLeast } from "./parse-flags.js";

/** What the discovery commands need from the program around them. */
export interface DiscoveryCommandContext {
  readonly definition: ServiceDefinition;
  /** Connects with the program's connection flags. */
  connect(command: Command): Promise<NatsConnection>;
  /** Where the result goes: standard output. */
  write(text: string): void;
}

interface DiscoveryFlags {
  json: boolean;
  id?: string;
  wait: number;
}

type Verb = "PING" | "INFO" | "STATS";

/** How long to wait for more replies once one has come: instances answer within milliseconds of each other. */
const quietPeriodMs = 300;

/**
 * The `ping`, `info` and `stats` commands: ask every running instance of the service over
 * `$SRV.<VERB>.<name>` (ADR-32) and print the replies as a table, or as JSON with `--json`.
 * Finding no instance is an `unavailable` error.
 */
export function createDiscoveryCommands(context: DiscoveryCommandContext): Command[] {
  const { name } = context.definition;
  return [
    discoveryCommand("ping", "PING", `list the running instances of ${name}`, context, (replies) => pingTable(replies as PingResponse[])),
    discoveryCommand("info", "INFO", `show the endpoints of each running instance of ${name}`, context, (replies) => infoTable(replies as InfoResponse[])),
    discoveryCommand("stats", "STATS", `show the request statistics of each running instance of ${name}`, context, (replies) => statsTable(replies as StatsResponse[])),
  ];
}

function discoveryCommand(
  commandName: string,
  verb: Verb,
  description: string,
  context: DiscoveryCommandContext,
  table: (replies: unknown[]) => string,
): Command {
  return new Command(commandName)
    .description(description)
    .addOption(new Option("--json", "print the replies as JSON, one array").default(false))
    .addOption(new Option("--id <id>", "ask only the instance with this id"))
    .addOption(new Option("--wait <ms>", "how long to wait for the first reply").argParser(integerAtLeast(1)).default(2_000))
    .action(async (flags: DiscoveryFlags, self: Command) => {
      const nc = await context.connect(self);
      try {
        const subject = `$SRV.${verb}.${context.definition.name}${flags.id === undefined ? "" : `.${flags.id}`}`;
        const replies = await collectReplies(nc, subject, flags.wait);
        if (replies.length === 0) {
          throw new RpcError(`no instance of ${context.definition.name}${flags.id === undefined ? "" : ` with id ${flags.id}`} answered on ${subject}`, Code.Unavailable);
        }
        // Sorted, so that the same instances always print the same way.
        replies.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        context.write(flags.json ? `${JSON.stringify(replies, null, 2)}\n` : table(replies));
      } finally {
        await nc.close();
      }
    });
}

// Every reply until none has come for a short while, or `waitMs` have passed without any.
async function collectReplies(nc: NatsConnection, subject: string, waitMs: number): Promise<{ id: string }[]> {
  const replies = await requestEveryInstance(nc, subject, waitMs, quietPeriodMs);
  return replies.filter((reply): reply is { id: string } => typeof reply === "object" && reply !== null && typeof (reply as { id?: unknown }).id === "string");
}

function pingTable(replies: PingResponse[]): string {
  return formatTable(
    ["NAME", "VERSION", "ID"],
    replies.map((reply) => [reply.name, reply.version, reply.id]),
  );
}

function infoTable(replies: InfoResponse[]): string {
  const header = (reply: InfoResponse) => `${reply.name} ${reply.version}, instance ${reply.id}${reply.description === "" ? "" : `: ${reply.description}`}`;
  return replies
    .map(
      (reply) =>
        `${header(reply)}\n${formatTable(
          ["ENDPOINT", "SUBJECT", "QUEUE GROUP"],
          reply.endpoints.map((endpoint) => [endpoint.name, endpoint.subject, endpoint.queue_group ?? "(none)"]),
          "  ",
        )}`,
    )
    .join("\n");
}

function statsTable(replies: StatsResponse[]): string {
  const rows = replies.flatMap((reply) =>
    reply.endpoints.map((endpoint) => [
      reply.id,
      endpoint.name,
      String(endpoint.num_requests),
      String(endpoint.num_errors),
      formatDuration(endpoint.average_processing_time),
      endpoint.last_error,
    ]),
  );
  const total = (field: "num_requests" | "num_errors") => replies.reduce((sum, reply) => sum + reply.endpoints.reduce((s, endpoint) => s + endpoint[field], 0), 0);
  rows.push(["", "(all)", String(total("num_requests")), String(total("num_errors")), "", ""]);
  return formatTable(["ID", "ENDPOINT", "REQUESTS", "ERRORS", "AVERAGE TIME", "LAST ERROR"], rows);
}

// Nanoseconds in the largest unit that keeps the number readable.
function formatDuration(nanoseconds: number): string {
  if (nanoseconds < 1_000) {
    return `${nanoseconds}ns`;
  }
  if (nanoseconds < 1_000_000) {
    return `${(nanoseconds / 1_000).toFixed(1)}µs`;
  }
  if (nanoseconds < 1_000_000_000) {
    return `${(nanoseconds / 1_000_000).toFixed(1)}ms`;
  }
  return `${(nanoseconds / 1_000_000_000).toFixed(2)}s`;
}
