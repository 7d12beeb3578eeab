import { Command, Option } from "commander";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { formatTable } from "./format-table.js";
import { commaList, integerAtLeast } from "./parse-flags.js";

/** What the `pipeline dead` commands need from the program around them. */
export interface PipelineDeadCommandContext {
  /** Connects with the program's connection flags. */
  connect(command: Command): Promise<NatsConnection>;
  /** Where output goes: standard output unless set. */
  readonly write?: (text: string) => void;
}

/**
 * The `pipeline dead` command: the pipeline messages kept as dead letters (docs/pipelines.md), of
 * every pipeline on the account. `ls` lists them, `replay <route-id>` sends one again from the
 * stop it failed at (or along `--route`).
 *
 * @example
 * parcels pipeline dead ls
 * parcels pipeline dead replay 5AKK01ZNWC9JUNJD0KJJ6W --route Weigh,Print
 */
export function createPipelineDeadCommand(context: PipelineDeadCommandContext): Command {
  return new Command("dead")
    .description("the pipeline messages that could not go on, kept as dead letters")
    .addCommand(deadListCommand(context))
    .addCommand(deadReplayCommand(context));
}

function deadListCommand(context: PipelineDeadCommandContext): Command {
  return new Command("ls")
    .summary("list the dead letters as a table")
    .description("list the dead letters of every pipeline, oldest first, as a table (or JSON with --json)")
    .addOption(new Option("--limit <count>", "list at most this many").argParser(integerAtLeast(1)).default(1_000))
    .addOption(new Option("--json", "print the dead letters as JSON, one array").default(false))
    .action(async (flags: { limit: number; json: boolean }, self: Command) => {
      await withPipeline(context, self, async (nc, pipeline) => {
        const letters = await pipeline.listPipelineDeadLetters(nc, { limit: flags.limit });
        write(
          context,
          flags.json
            ? `${JSON.stringify(
                letters.map((letter) => ({
                  id: letter.id,
                  pipeline: letter.pipeline,
                  stop: letter.stop,
                  time: letter.time.toISOString(),
                  reason: letter.reason,
                  attempts: letter.attempts,
                  ...(letter.error === undefined ? {} : { error: { code: letter.error.code, message: letter.error.rawMessage } }),
                  position: letter.position,
                  remaining: letter.remaining,
                  original: letter.original,
                  history: letter.history.map((hop) => ({ stop: hop.stop, at: hop.at.toISOString() })),
                })),
                null,
                2,
              )}\n`
            : formatTable(
                ["ID", "PIPELINE", "STOP", "TIME", "ATTEMPTS", "REASON", "ERROR"],
                letters.map((letter) => [
                  letter.id,
                  letter.pipeline,
                  letter.stop,
                  letter.time.toISOString(),
                  String(letter.attempts),
                  letter.reason,
                  letter.error === undefined ? "" : `${letter.error.code}: ${letter.error.rawMessage}`,
                ]),
              ),
        );
      });
    });
}

function deadReplayCommand(context: PipelineDeadCommandContext): Command {
  return new Command("replay")
    .summary("send a dead-lettered message again from the stop it failed at")
    .description("send a dead-lettered message again, with its history, from the stop it failed at (or along --route), and remove its letter")
    .argument("<route-id>", "the route's id, as dead ls shows it")
    .addOption(new Option("--route <stops>", "the route from the stop to replay to, that stop first, comma-separated (Weigh,Print)").argParser(commaList))
    .action(async (id: string, flags: { route?: string[] }, self: Command) => {
      await withPipeline(context, self, async (nc, pipeline) => {
        const replayed = await pipeline.replayPipelineDeadLetter(nc, id, flags.route === undefined ? {} : { route: flags.route });
        write(context, `replayed ${replayed.id} to ${replayed.route.join(" → ")}\n`);
      });
    });
}

// The pipeline entry, loaded when used: a program that never looks at pipelines loads no JetStream client.
async function withPipeline(context: PipelineDeadCommandContext, command: Command, use: (nc: NatsConnection, pipeline: typeof import("../pipeline/dead-letters.js")) => Promise<void>): Promise<void> {
  const pipeline = await import("../pipeline/dead-letters.js");
  const nc = await context.connect(command);
  try {
    await use(nc, pipeline);
  } finally {
    await nc.close();
  }
}

function write(context: PipelineDeadCommandContext, text: string): void {
  (context.write ?? ((output: string) => process.stdout.write(output)))(text);
}
