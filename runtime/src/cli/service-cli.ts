import { Command, CommanderError } from "commander";
import type { DescService } from "@bufbuild/protobuf";
import type { HostOptions } from "../host/create-host.js";
import type { Interceptor } from "../interceptors/interceptor.js";
import { defineService, type ServiceDefinitionOptions } from "../service/service-definition.js";
import type { ServiceHandlers } from "../service/service-handlers.js";
import { createCallCommand, methodList } from "./call-command.js";
import { addConnectionFlags, connectWithFlags, type ConnectionFlagValues } from "./connection-flags.js";
import { createDiscoveryCommands } from "./discovery-commands.js";
import { createGatewayCommand } from "./gateway-command.js";
import { createJobsCommand } from "./jobs-commands.js";
import { createPipelineCommand } from "./pipeline-commands.js";
import type { GatewayOptions } from "../gateway/serve-gateway.js";
import { describeFailure, exitCodeOf, ExitCode } from "./exit-codes.js";
import { createServeCommand, type HandlersLifetime } from "./serve-command.js";

export type { HandlersLifetime } from "./serve-command.js";

/** The handlers of a service, or a function that makes them (once per process, awaited). */
export type HandlersSource<Service extends DescService> =
  | ServiceHandlers<Service>
  | ((lifetime: HandlersLifetime) => ServiceHandlers<Service> | Promise<ServiceHandlers<Service>>);

/**
 * A service that `serve` runs beside the program's own, in the same processes and on the same
 * connection: such as a service of durable jobs that the gateway does not expose. Make one with
 * {@link alsoServe}, which checks the handlers against the service.
 */
export interface AlsoServed {
  readonly service: DescService;
  readonly handlers: HandlersSource<DescService>;
  /** As for `createHost`: the generated defaults of that service. */
  readonly defaults?: ServiceDefinitionOptions["defaults"];
  /** The interceptors of its host, such as validation's. */
  readonly interceptors?: readonly Interceptor[];
}

/**
 * Names a service for `ServiceCliOptions.alsoServe`, its handlers typed by it.
 *
 * @example
 * await runMoviesCli(undefined, { alsoServe: [alsoServe(Downloads, downloadsHandlers)] });
 */
export function alsoServe<Service extends DescService>(
  service: Service,
  handlers: HandlersSource<Service>,
  options: Omit<AlsoServed, "service" | "handlers"> = {},
): AlsoServed {
  return { ...options, service, handlers: handlers as unknown as HandlersSource<DescService> };
}

/** Options of {@link createServiceCli}. */
export interface ServiceCliOptions<Service extends DescService> {
  /** The program's name in `--help`; the service name in kebab case unless set (`calc` for `Calc`). */
  programName?: string;
  /** The handlers: with them the program has a `serve` command; without, only the client commands. */
  handlers?: HandlersSource<Service>;
  /**
   * The methods' proto comments by local name, for `--help`: descriptors embedded in code carry
   * none, so generated code passes them (and the service's as `defaults.description`).
   */
  methodComments?: Readonly<Record<string, string>>;
  /** As for `createHost` and `createClient`: the generated defaults. */
  defaults?: ServiceDefinitionOptions["defaults"];
  /** The interceptors of `serve`'s host (generated code passes validation's with validate=true). */
  interceptors?: readonly Interceptor[];
  /** Where results go (standard output unless set); errors go to standard error. */
  write?: (text: string) => void;
  /** Options of the `gateway` command's gateway, such as an error renderer; its flags win over them. */
  gateway?: GatewayOptions;
  /**
   * More services that `serve` runs beside this one, in the same processes, on the same
   * connection, each as its own ADR-32 service (with `--jobs`, their jobs too). `--methods` names
   * methods of this service only; the other commands (`call`, `gateway`, `jobs`) are this service's.
   */
  alsoServe?: readonly AlsoServed[];
}

/**
 * Builds the command-line program of a service (commander): `serve` (when given handlers),
 * `gateway` (HTTP/JSON in front of the service), `call <method> [request]`, `jobs` (its durable
 * jobs), `pipeline status` (a live page of every pipeline stop), `ping`, `info` and `stats`,
 * with the connection flags of the NATS CLI. Generated
 * `<name>_cli.ts` files call {@link runServiceCli}; this is for programs that add commands of
 * their own.
 */
export function createServiceCli<Service extends DescService>(service: Service, options: ServiceCliOptions<Service> = {}): Command {
  const defaults = options.defaults;
  const definition = defineService(service, defaults === undefined ? {} : { defaults });
  const programName = options.programName ?? kebabCase(service.name);
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const methodComments = options.methodComments ?? {};
  const connect = (command: Command) => connectWithFlags(command.optsWithGlobals<ConnectionFlagValues>(), programName);

  const program = addConnectionFlags(new Command(programName))
    .description(definition.description)
    .version(definition.version, "-V, --version", "print the service version")
    .addHelpText("after", `\n${methodList(definition, methodComments)}`);
  const handlers = options.handlers;
  if (handlers !== undefined) {
    const hostOptions: HostOptions = {
      ...(defaults === undefined ? {} : { defaults }),
      ...(options.interceptors === undefined ? {} : { interceptors: options.interceptors }),
    };
    program.addCommand(
      createServeCommand({
        service,
        definition,
        hostOptions,
        loadHandlers: (lifetime) => loadHandlers(handlers, lifetime),
        alsoServed: (options.alsoServe ?? []).map((served) => ({
          service: served.service,
          hostOptions: {
            ...(served.defaults === undefined ? {} : { defaults: served.defaults }),
            ...(served.interceptors === undefined ? {} : { interceptors: served.interceptors }),
          },
          loadHandlers: (lifetime: HandlersLifetime) => loadHandlers(served.handlers, lifetime),
        })),
        connect,
      }),
    );
  }
  program.addCommand(
    createGatewayCommand({ services: () => [service], connect, name: definition.name, ...(options.gateway === undefined ? {} : { gatewayOptions: options.gateway }) }),
  );
  program.addCommand(createCallCommand({ definition, methodComments, connect, write }));
  program.addCommand(createJobsCommand({ definition, methodComments, connect, write }));
  program.addCommand(createPipelineCommand({ connect, name: definition.name, write }));
  for (const command of createDiscoveryCommands({ definition, connect, write })) {
    program.addCommand(command);
  }
  return program;
}

// The handlers themselves, or what the function makes of them.
async function loadHandlers<Service extends DescService>(source: HandlersSource<Service>, lifetime: HandlersLifetime): Promise<ServiceHandlers<Service>> {
  return typeof source === "function" ? await source(lifetime) : source;
}

/**
 * Runs the command-line program of a service on `argv` (`process.argv` unless given) and sets
 * `process.exitCode`: 0 on success, 2 for a wrong command line, 64 + the gRPC code number for a
 * failed call or connection (see docs/cli.md), 1 for anything else. Errors print one line on
 * standard error: `error: <code>: <message>`.
 *
 * @example
 * // bin/calc.js
 * import { runCalcCli } from "../dist/gen/calc/v1/calc_cli.js";
 * await runCalcCli();
 */
export async function runServiceCli<Service extends DescService>(service: Service, options: ServiceCliOptions<Service> = {}, argv: readonly string[] = process.argv): Promise<void> {
  const program = createServiceCli(service, options);
  // Commander exits by itself on errors and --help; here it throws instead, so that the exit code is ours.
  const configure = (command: Command) => {
    command.exitOverride();
    // `call` lists the methods in its help: the best answer to a mistyped method name.
    command.showHelpAfterError(command.name() === "call" ? true : "(add --help for usage)");
    command.commands.forEach(configure);
  };
  configure(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = reportFailure(error);
  }
}

// Prints one line for a failure and returns the exit code for it.
function reportFailure(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message; --help and --version are not failures.
    return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  process.stderr.write(`error: ${describeFailure(error)}\n`);
  return exitCodeOf(error);
}

// "Calc" → "calc", "OrderHistory" → "order-history", "HTTPGateway" → "http-gateway".
function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .toLowerCase();
}

