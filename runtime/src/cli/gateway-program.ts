import { readFile } from "node:fs/promises";
import { Command, CommanderError, Option } from "commander";
import { createFileRegistry, fromBinary, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import { addConnectionFlags, connectWithFlags, type ConnectionFlagValues } from "./connection-flags.js";
import { createGatewayCommand } from "./gateway-command.js";
import { describeFailure, ExitCode, exitCodeOf } from "./exit-codes.js";
import { commaList } from "./parse-flags.js";

/**
 * The standalone gateway program (`nats-micro-gateway`): serves services of any number of protos
 * from a descriptor set (`buf build -o services.binpb`, or `protoc --include_imports
 * --descriptor_set_out`), without generated code.
 *
 * @example
 * nats-micro-gateway gateway --descriptors services.binpb --services football.v1.Football,metropolis.v1.Worker --listen 127.0.0.1:8080
 */
export function createGatewayProgram(): Command {
  const program = addConnectionFlags(new Command("nats-micro-gateway")).description("an HTTP/JSON gateway to NATS services, from their descriptors");
  const gateway = createGatewayCommand({
    name: "nats-micro",
    connect: (command) => connectWithFlags(command.optsWithGlobals<ConnectionFlagValues>(), "nats-micro-gateway"),
    services: async (command) => {
      const flags = command.opts<{ descriptors: string; services?: string[] }>();
      return servicesFromDescriptorSet(await readFile(flags.descriptors), flags.services);
    },
  })
    .addOption(new Option("--descriptors <file>", "a FileDescriptorSet in binary, with its imports (buf build -o FILE)").makeOptionMandatory())
    .addOption(new Option("--services <names>", "full names of the services to serve, comma-separated; every service of the set unless given").argParser(commaList));
  program.addCommand(gateway);
  return program;
}

/** The services of a binary `FileDescriptorSet`: the named ones (full names), or all. */
export function servicesFromDescriptorSet(bytes: Uint8Array, names: readonly string[] | undefined): DescService[] {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  if (names === undefined) {
    const all: DescService[] = [];
    for (const file of registry.files) {
      all.push(...file.services);
    }
    if (all.length === 0) {
      throw new RpcError("the descriptor set has no services", Code.InvalidArgument);
    }
    return all;
  }
  return names.map((name) => {
    const service = registry.getService(name);
    if (service === undefined) {
      throw new RpcError(`the descriptor set has no service ${name}`, Code.InvalidArgument);
    }
    return service;
  });
}

/** Runs {@link createGatewayProgram} on `argv` and sets `process.exitCode` as the service programs do (docs/cli.md). */
export async function runGatewayProgram(argv: readonly string[] = process.argv): Promise<void> {
  const program = createGatewayProgram();
  program.exitOverride();
  program.commands.forEach((command) => command.exitOverride());
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
      return;
    }
    process.stderr.write(`error: ${describeFailure(error)}\n`);
    process.exitCode = exitCodeOf(error);
  }
}
