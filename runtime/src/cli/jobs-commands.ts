import { Command, InvalidArgumentError, Option } from "commander";
import { toJsonString, type DescMessage, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { EndpointDefinition, ServiceDefinition } from "../service/service-definition.js";
import { serviceRegistry } from "../service/service-registry.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { methodList } from "./call-command.js";
import { ExitCode } from "./exit-codes.js";
import { formatTable } from "./format-table.js";
import { integerAtLeast } from "./parse-flags.js";
import { readRequest } from "./request-input.js";

// The jobs entry is loaded with import() when a jobs command runs, so that a program that never
// uses them loads no JetStream client; only its types are named here.
type Jobs = typeof import("../jobs/index.js");
type JobClient = import("../jobs/index.js").JobClient<ServiceDefinition["service"]>;
type JobHandle = import("../jobs/index.js").JobHandle<DescMessage>;
type JobStatus = import("../jobs/index.js").JobStatus;
type JobState = import("../jobs/index.js").JobState;
type DeadLetter = import("../jobs/index.js").DeadLetter;
type EnqueueOptions = import("../jobs/index.js").EnqueueOptions;

/** What the `jobs` commands need from the program around them. */
export interface JobsCommandContext {
  readonly definition: ServiceDefinition;
  /** Proto comments of the methods by local name, for `--help`. */
  readonly methodComments: Readonly<Record<string, string | undefined>>;
  /** Connects with the program's connection flags. */
  connect(command: Command): Promise<NatsConnection>;
  /** Where results go: standard output. */
  write(text: string): void;
}

interface ReplyFlags {
  wait?: boolean;
  timeout?: number;
  emitDefaults: boolean;
}

interface EnqueueFlags extends ReplyFlags {
  file?: string;
  id?: string;
  notBefore?: Date;
  delay?: number;
  attempts?: number;
  json: boolean;
}

interface ListFlags {
  state?: JobState;
  method?: string;
  limit: number;
  json: boolean;
}

// Every job state, for the choices of --state; a record, so that the compiler names one left out.
const jobStates: Record<JobState, true> = { queued: true, active: true, retrying: true, completed: true, failed: true, dead: true, cancelled: true };

/**
 * The `jobs` command: the service's durable jobs on JetStream (docs/jobs.md), which `serve --jobs`
 * runs. `enqueue` a method's request, follow a job with `status` and `result`, list the jobs with
 * `ls`, `cancel` one that waits, look after the dead letters with `dead ls` and `dead retry`, and
 * `purge` them all. Replies print as protobuf JSON, as `call` prints them.
 *
 * @example
 * calc jobs enqueue Average '{"values": [1, 2]}' --wait
 * calc jobs result 5AKK01ZNWC9JUNJD0KJJ6W --wait --timeout 60000
 * calc jobs ls --state failed
 */
export function createJobsCommand(context: JobsCommandContext): Command {
  const { definition } = context;
  const registry = serviceRegistry(definition.service);
  const methods = methodList(definition, context.methodComments);
  const jobs = new Command("jobs").description(`enqueue and follow the durable jobs of ${definition.name} (run by serve --jobs)`).addHelpText("after", `\n${methods}`);
  jobs.addCommand(enqueueCommand(context, registry).addHelpText("after", `\n${methods}`));
  jobs.addCommand(statusCommand(context));
  jobs.addCommand(resultCommand(context, registry));
  jobs.addCommand(listCommand(context));
  jobs.addCommand(cancelCommand(context));
  jobs.addCommand(new Command("dead").description("the jobs that failed or could not run, kept as dead letters").addCommand(deadListCommand(context)).addCommand(deadRetryCommand(context, registry)));
  jobs.addCommand(purgeCommand(context));
  return jobs;
}

function enqueueCommand(context: JobsCommandContext, registry: Registry): Command {
  return addReplyOptions(
    new Command("enqueue")
      .summary("enqueue a method's request as a durable job")
      .description("enqueue a method's request as a durable job and print its id (or, with --wait, its reply as JSON)")
      .argument("<method>", "the method: its proto name (Average) or camelCase name (average)")
      .argument("[request]", "the request as JSON; - reads standard input; {} when left out")
      .addOption(new Option("-f, --file <path>", "read the request as JSON from a file (- for standard input)"))
      .addOption(new Option("--id <id>", "the job's id (1 to 200 of A-Z a-z 0-9 _ = -): an id that has a job already enqueues nothing new; a new unique id unless set"))
      .addOption(new Option("--not-before <time>", "start no attempt before this RFC 3339 time (2026-11-23T16:00:00Z)").argParser(parseTime).conflicts("delay"))
      .addOption(new Option("--delay <ms>", "start no attempt before this many milliseconds from now").argParser(integerAtLeast(0)))
      .addOption(new Option("--attempts <count>", "attempts in all, over the method's job policy").argParser(integerAtLeast(1)))
      .addOption(new Option("--json", "print the job's status as JSON instead of its id (without --wait)").default(false)),
    "wait for the job's result and print the reply as JSON",
  ).action(async (methodName: string, argument: string | undefined, flags: EnqueueFlags, self: Command) => {
    const endpoint = endpointNamed(context.definition, methodName, self);
    const request = await readRequest(endpoint.method.input, { ...(argument === undefined ? {} : { argument }), ...(flags.file === undefined ? {} : { file: flags.file }) }, registry);
    const notBefore = flags.delay === undefined ? flags.notBefore : new Date(Date.now() + flags.delay);
    await withJobClient(context, self, async (client, jobs) => {
      const enqueue = client.enqueue as unknown as Record<string, (request: MessageShape<DescMessage>, options: EnqueueOptions) => Promise<JobHandle>>;
      const handle = await enqueue[endpoint.method.localName]!(request, {
        ...(flags.id === undefined ? {} : { id: flags.id }),
        ...(notBefore === undefined ? {} : { notBefore }),
        ...(flags.attempts === undefined ? {} : { attempts: flags.attempts }),
      });
      if (flags.wait === true) {
        await printResult(context, handle, endpoint, registry, flags);
      } else if (flags.json) {
        context.write(statusText(await existingStatus(client, jobs, handle.id)));
      } else {
        context.write(`${handle.id}\n`);
      }
    });
  });
}

function statusCommand(context: JobsCommandContext): Command {
  return new Command("status")
    .summary("print a job's status as JSON")
    .description("print a job's status as JSON: state, attempts, times, progress and the last error")
    .argument("<id>", "the job's id")
    .action(async (id: string, _flags: object, self: Command) => {
      await withJobClient(context, self, async (client, jobs) => {
        context.write(statusText(await existingStatus(client, jobs, id)));
      });
    });
}

function resultCommand(context: JobsCommandContext, registry: Registry): Command {
  return addReplyOptions(
    new Command("result")
      .summary("print the reply of a completed job as JSON")
      .description("print the reply of a completed job as JSON; a failed job exits with its error's code, one not finished with failed_precondition (73) unless --wait")
      .argument("<id>", "the job's id"),
    "wait for the job to finish",
  ).action(async (id: string, flags: ReplyFlags, self: Command) => {
    await withJobClient(context, self, async (client, jobs) => {
      const status = await existingStatus(client, jobs, id);
      if (flags.wait !== true && !jobs.isFinished(status.state)) {
        throw new RpcError(`job ${id} is ${status.state}: it has no result yet (--wait waits for it)`, Code.FailedPrecondition);
      }
      const endpoint = endpointOfJob(context.definition, status);
      await printResult(context, handleOf(client, endpoint, id), endpoint, registry, { ...flags, wait: true });
    });
  });
}

function listCommand(context: JobsCommandContext): Command {
  return new Command("ls")
    .summary("list the jobs as a table")
    .description("list the jobs whose records are kept, oldest first, as a table (or JSON with --json)")
    .addOption(new Option("--state <state>", "only jobs in this state").choices(Object.keys(jobStates)))
    .addOption(new Option("--method <method>", "only jobs of this method (Average or average)"))
    .addOption(new Option("--limit <count>", "list at most this many jobs").argParser(integerAtLeast(1)).default(1_000))
    .addOption(new Option("--json", "print the statuses as JSON, one array").default(false))
    .action(async (flags: ListFlags, self: Command) => {
      const method = flags.method === undefined ? undefined : endpointNamed(context.definition, flags.method, self).name;
      await withJobClient(context, self, async (client) => {
        const statuses = await client.list({ ...(flags.state === undefined ? {} : { state: flags.state }), ...(method === undefined ? {} : { method }), limit: flags.limit });
        context.write(
          flags.json
            ? `${JSON.stringify(statuses.map(statusJson), null, 2)}\n`
            : formatTable(
                ["ID", "METHOD", "STATE", "ATTEMPT", "ENQUEUED", "FINISHED", "ERROR"],
                statuses.map((status) => [
                  status.id,
                  status.method,
                  status.state,
                  `${status.attempt}/${status.attempts}`,
                  status.enqueuedAt.toISOString(),
                  status.finishedAt?.toISOString() ?? "",
                  status.error?.code ?? "",
                ]),
              ),
        );
      });
    });
}

function cancelCommand(context: JobsCommandContext): Command {
  return new Command("cancel")
    .summary("cancel a job that has not started")
    .description("cancel a job that has not started (queued, or retrying after a failed attempt) and print its status as JSON")
    .argument("<id>", "the job's id")
    .action(async (id: string, _flags: object, self: Command) => {
      await withJobClient(context, self, async (client, jobs) => {
        const status = await existingStatus(client, jobs, id);
        if (!(await handleOf(client, endpointOfJob(context.definition, status), id).cancel())) {
          const now = await client.status(id);
          throw new RpcError(`job ${id} is ${now?.state ?? "gone"}: only a queued or retrying job can be cancelled`, Code.FailedPrecondition);
        }
        context.write(statusText(await existingStatus(client, jobs, id)));
      });
    });
}

function deadListCommand(context: JobsCommandContext): Command {
  return new Command("ls")
    .summary("list the dead letters as a table")
    .description("list the dead letters, oldest first, as a table (or JSON with --json)")
    .addOption(new Option("--limit <count>", "list at most this many").argParser(integerAtLeast(1)).default(1_000))
    .addOption(new Option("--json", "print the dead letters as JSON, one array").default(false))
    .action(async (flags: { limit: number; json: boolean }, self: Command) => {
      await withJobClient(context, self, async (client) => {
        const letters = await client.deadLetters({ limit: flags.limit });
        context.write(
          flags.json
            ? `${JSON.stringify(letters.map(deadLetterJson), null, 2)}\n`
            : formatTable(
                ["ID", "METHOD", "TIME", "ATTEMPTS", "REASON", "ERROR"],
                letters.map((letter) => [
                  letter.id,
                  letter.method,
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

function deadRetryCommand(context: JobsCommandContext, registry: Registry): Command {
  return addReplyOptions(
    new Command("retry")
      .summary("enqueue a dead-lettered job again")
      .description("enqueue a dead-lettered job again under its id, with all its attempts, and print its status as JSON (or, with --wait, its reply)")
      .argument("<id>", "the job's id"),
    "wait for the job's result and print the reply as JSON",
  ).action(async (id: string, flags: ReplyFlags, self: Command) => {
    await withJobClient(context, self, async (client, jobs) => {
      jobs.checkJobId(id);
      const handle = await client.retry(id);
      if (flags.wait === true) {
        await printResult(context, handle, endpointOfJob(context.definition, handle), registry, flags);
      } else {
        context.write(statusText(await existingStatus(client, jobs, id)));
      }
    });
  });
}

function purgeCommand(context: JobsCommandContext): Command {
  const { name } = context.definition;
  return new Command("purge")
    .summary("remove every job and dead letter; needs --yes")
    .description(`remove every queued job, dead letter and job record of ${name}; needs --yes`)
    .addOption(new Option("--yes", "remove them: nothing can bring them back").default(false))
    .addOption(new Option("--json", "print what was removed as JSON").default(false))
    .action(async (flags: { yes: boolean; json: boolean }, self: Command) => {
      if (!flags.yes) {
        self.error(`error: jobs purge removes every queued job, dead letter and job record of ${name}: add --yes to do it`, { exitCode: ExitCode.Usage });
      }
      await withJobClient(context, self, async (client) => {
        const removed = await client.purge();
        context.write(flags.json ? `${JSON.stringify(removed)}\n` : `removed ${count(removed.queued, "queued job")}, ${count(removed.dead, "dead letter")} and ${count(removed.records, "job record")}\n`);
      });
    });
}

// --wait, --timeout and --no-emit-defaults, for the commands that can print a reply.
function addReplyOptions(command: Command, waitDescription: string): Command {
  return command
    .addOption(new Option("-w, --wait", waitDescription))
    .addOption(new Option("-t, --timeout <ms>", "with --wait (which it implies): how long to wait; for ever unless set").argParser(integerAtLeast(1)).implies({ wait: true }))
    .addOption(new Option("--no-emit-defaults", "leave fields that hold their default value out of the reply"));
}

// Loads the jobs entry, connects and hands the service's job client to `use`; closes the connection after.
async function withJobClient(context: JobsCommandContext, command: Command, use: (client: JobClient, jobs: Jobs) => Promise<void>): Promise<void> {
  const jobs = await import("../jobs/index.js");
  const nc = await context.connect(command);
  try {
    await use(jobs.createJobClient(nc, context.definition.service, { name: context.definition.name }), jobs);
  } finally {
    await nc.close();
  }
}

// Waits for the job's end and prints its reply as `call` does; a failed job throws its error.
async function printResult(context: JobsCommandContext, handle: JobHandle, endpoint: EndpointDefinition, registry: Registry, flags: ReplyFlags): Promise<void> {
  const reply = await handle.result(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout });
  context.write(`${toJsonString(endpoint.method.output, reply, { prettySpaces: 2, alwaysEmitImplicit: flags.emitDefaults, registry })}\n`);
}

// The status of job `id`: invalid_argument for an id that cannot be one, not_found when there is no such job.
async function existingStatus(client: JobClient, jobs: Jobs, id: string): Promise<JobStatus> {
  jobs.checkJobId(id);
  const status = await client.status(id);
  if (status === undefined) {
    throw new RpcError(`no job ${id} (or its record has expired)`, Code.NotFound);
  }
  return status;
}

function handleOf(client: JobClient, endpoint: EndpointDefinition, id: string): JobHandle {
  return (client.job as unknown as Record<string, (id: string) => JobHandle>)[endpoint.method.localName]!(id);
}

// A method named on the command line as `call` takes it (local or proto name), or its endpoint
// name as `jobs ls` shows it; an unknown one is a usage error that lists the methods.
function endpointNamed(definition: ServiceDefinition, name: string, command: Command): EndpointDefinition {
  const endpoint = definition.endpoints.find(({ method, name: endpointName }) => name === method.localName || name === method.name || name === endpointName);
  if (endpoint === undefined) {
    const names = definition.endpoints.map(({ method }) => method.name).join(", ");
    return command.error(`error: ${definition.service.typeName} has no method ${name} (its methods: ${names})`, { exitCode: ExitCode.Usage });
  }
  return endpoint;
}

// The endpoint of a stored job's method: a job of a method this program does not know (a newer
// version of the service enqueued it) cannot have its reply decoded here.
function endpointOfJob(definition: ServiceDefinition, job: { id: string; method: string }): EndpointDefinition {
  const endpoint = definition.endpoints.find(({ name }) => name === job.method);
  if (endpoint === undefined) {
    throw new RpcError(`job ${job.id} is of method ${job.method}, which this program's ${definition.service.typeName} does not have`, Code.Unimplemented);
  }
  return endpoint;
}

// RFC 3339, with a date, a time and a zone: what --not-before takes.
function parseTime(value: string): Date {
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(time)) {
    throw new InvalidArgumentError(`"${value}" is not an RFC 3339 time such as 2026-11-23T16:00:00Z`);
  }
  return new Date(time);
}

// "1 dead letter", "2 dead letters".
function count(number: number, noun: string): string {
  return `${number} ${noun}${number === 1 ? "" : "s"}`;
}

function statusText(status: JobStatus): string {
  return `${JSON.stringify(statusJson(status), null, 2)}\n`;
}

// A status as JSON: times in RFC 3339, what a job does not have yet left out.
function statusJson(status: JobStatus): object {
  return {
    id: status.id,
    method: status.method,
    state: status.state,
    attempt: status.attempt,
    attempts: status.attempts,
    enqueuedAt: status.enqueuedAt.toISOString(),
    notBefore: status.notBefore?.toISOString(),
    startedAt: status.startedAt?.toISOString(),
    nextAttemptAt: status.nextAttemptAt?.toISOString(),
    finishedAt: status.finishedAt?.toISOString(),
    progress: status.progress,
    error: status.error === undefined ? undefined : { code: status.error.code, message: status.error.rawMessage },
    worker: status.worker,
  };
}

function deadLetterJson(letter: DeadLetter): object {
  return {
    id: letter.id,
    method: letter.method,
    time: letter.time.toISOString(),
    attempts: letter.attempts,
    reason: letter.reason,
    error: letter.error === undefined ? undefined : { code: letter.error.code, message: letter.error.rawMessage },
  };
}
