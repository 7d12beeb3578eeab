import { Command, Option } from "commander";
import { ScalarType, toJsonString, type DescField, type DescMessage, type Registry } from "@bufbuild/protobuf";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { Code } from "../protocol/code.js";
import { callUnary } from "../client/call-unary.js";
import { defaultTimeoutMs } from "../client/create-client.js";
import { serviceRegistry } from "../service/service-registry.js";
import { RpcError } from "../protocol/rpc-error.js";
import { streamKindLabel, type EndpointDefinition, type ServiceDefinition } from "../service/service-definition.js";
import { integerAtLeast } from "./parse-flags.js";
import { readRequest } from "./request-input.js";
import { createStreamMethodCommand } from "./call-stream-command.js";

/** What the `call` command needs from the program around it. */
export interface CallCommandContext {
  readonly definition: ServiceDefinition;
  /** Proto comments of the methods by local name, for `--help`. */
  readonly methodComments: Readonly<Record<string, string | undefined>>;
  /** Connects with the program's connection flags. */
  connect(command: Command): Promise<NatsConnection>;
  /** Where the reply goes: standard output. */
  write(text: string): void;
}

interface CallFlags {
  file?: string;
  timeout?: number;
  header?: string[];
  encoding: "binary" | "json";
  emitDefaults: boolean;
}

/**
 * The `call` command: one subcommand per unary method (its local name, with the proto name as an
 * alias), each taking the request as JSON and printing the reply as JSON on standard output.
 *
 * @example
 * calc call average '{"values": [1, 2]}'
 * calc call sum --file request.json
 * echo '{"values": [3]}' | calc call sum -
 */
export function createCallCommand(context: CallCommandContext): Command {
  const { definition } = context;
  const call = new Command("call")
    .description(`call a method of ${definition.name} and print the reply as JSON`)
    .addHelpText("after", `\n${methodList(definition, context.methodComments)}`);
  const registry = serviceRegistry(definition.service);
  for (const endpoint of definition.endpoints) {
    call.addCommand(createMethodCommand(endpoint, registry, context));
  }
  for (const endpoint of definition.streams) {
    call.addCommand(createStreamMethodCommand(endpoint, registry, context));
  }
  return call;
}

function createMethodCommand(endpoint: EndpointDefinition, registry: Registry, context: CallCommandContext): Command {
  const { method } = endpoint;
  const command = new Command(method.localName)
    .summary(firstLine(context.methodComments[method.localName]) ?? `call ${method.name}`)
    .description(methodDescription(endpoint, context.methodComments[method.localName]))
    .argument("[request]", `the request (${method.input.typeName}) as JSON; - reads standard input; {} when left out`)
    .addOption(new Option("-f, --file <path>", "read the request as JSON from a file (- for standard input)"))
    .addOption(new Option("-t, --timeout <ms>", `how long to wait for the reply (default: ${endpoint.timeoutMs ?? defaultTimeoutMs})`).argParser(integerAtLeast(1)))
    .addOption(new Option("-H, --header <header>", 'a request header, "Name: value"; repeatable').argParser(collect))
    .addOption(new Option("--encoding <encoding>", "encoding on the wire").choices(["binary", "json"]).default("binary"))
    .addOption(new Option("--no-emit-defaults", "leave fields that hold their default value out of the reply"))
    .action(async (argument: string | undefined, flags: CallFlags, self: Command) => {
      const request = await readRequest(method.input, { ...(argument === undefined ? {} : { argument }), ...(flags.file === undefined ? {} : { file: flags.file }) }, registry);
      const headers = parseHeaders(flags.header ?? []);
      const nc = await context.connect(self);
      try {
        const reply = await callUnary(nc, method, endpoint.subject, request, {
          timeoutMs: flags.timeout ?? endpoint.timeoutMs ?? defaultTimeoutMs,
          encoding: flags.encoding,
          headers,
          registry,
        });
        context.write(`${toJsonString(method.output, reply, { prettySpaces: 2, alwaysEmitImplicit: flags.emitDefaults, registry })}\n`);
      } finally {
        await nc.close();
      }
    });
  if (method.name !== method.localName) {
    command.alias(method.name);
  }
  return command;
}

/** Collects the values of a repeatable flag. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** "Name: value" pairs as `Headers`; a header without a colon is a mistake worth naming. */
export function parseHeaders(pairs: readonly string[]): Headers {
  const headers = new Headers();
  for (const pair of pairs) {
    const colon = pair.indexOf(":");
    if (colon <= 0) {
      throw new RpcError(`header "${pair}" must look like "Name: value"`, Code.InvalidArgument);
    }
    try {
      headers.append(pair.slice(0, colon).trim(), pair.slice(colon + 1).trim());
    } catch (error) {
      throw new RpcError(`header "${pair}" is not valid: ${(error as Error).message}`, Code.InvalidArgument);
    }
  }
  return headers;
}

/** The methods of a service, one per line with the first line of its comment, for `--help`; a streaming one says its kind. */
export function methodList(definition: ServiceDefinition, comments: Readonly<Record<string, string | undefined>>): string {
  const all = [...definition.endpoints, ...definition.streams].sort((a, b) => definition.service.methods.indexOf(a.method) - definition.service.methods.indexOf(b.method));
  const width = Math.max(...all.map(({ method }) => method.localName.length));
  const lines = all.map(({ method, subject }) => {
    const summary = firstLine(comments[method.localName]) ?? "";
    const kind = method.methodKind === "unary" ? "" : `, ${streamKindLabel(method.methodKind)}`;
    return `  ${method.localName.padEnd(width)}  ${summary}${summary === "" ? "" : " "}(${subject}${kind})`.trimEnd();
  });
  return `Methods of ${definition.service.typeName}:\n${lines.join("\n")}`;
}

/** What `call <method> --help` says of a method: its comment, subject, request fields and reply type. */
export function methodDescription(endpoint: Pick<EndpointDefinition, "method" | "subject">, comment: string | undefined): string {
  const { method } = endpoint;
  const parts = [comment?.trim() ?? `Calls ${method.parent.typeName}.${method.name}.`];
  parts.push(`Subject: ${endpoint.subject}`);
  parts.push(`Request: ${method.input.typeName}${fieldList(method.input)}`);
  parts.push(`Reply: ${method.output.typeName}`);
  return parts.join("\n\n");
}

// The fields of a message as its JSON takes them, so that a request can be written from --help alone.
function fieldList(message: DescMessage): string {
  if (message.fields.length === 0) {
    return " (no fields: {})";
  }
  const width = Math.max(...message.fields.map((field) => field.jsonName.length));
  return `\n${message.fields.map((field) => `  ${field.jsonName.padEnd(width)}  ${fieldType(field)}`).join("\n")}`;
}

function fieldType(field: DescField): string {
  switch (field.fieldKind) {
    case "scalar":
      return scalarName(field.scalar);
    case "enum":
      return `enum ${field.enum.typeName}`;
    case "message":
      return field.message.typeName;
    case "list":
      return `repeated ${field.listKind === "scalar" ? scalarName(field.scalar) : field.listKind === "enum" ? field.enum.typeName : field.message.typeName}`;
    case "map":
      return `map<${scalarName(field.mapKey)}, ${field.mapKind === "scalar" ? scalarName(field.scalar) : field.mapKind === "enum" ? field.enum.typeName : field.message.typeName}>`;
  }
}

// The proto spelling of a scalar type: ScalarType.FLOAT is "float".
function scalarName(scalar: ScalarType): string {
  return ScalarType[scalar].toLowerCase();
}

/** The first line of a comment, if it has one. */
export function firstLine(comment: string | undefined): string | undefined {
  const line = comment?.trim().split("\n", 1)[0]?.trim();
  return line === undefined || line === "" ? undefined : line;
}
