import { Command, Option } from "commander";
import { toJsonString, type Registry } from "@bufbuild/protobuf";
import { callUnary } from "../client/call-unary.js";
import { defaultTimeoutMs } from "../client/create-client.js";
import { serviceRegistry } from "../service/service-registry.js";
import { streamKindLabel, type EndpointDefinition, type ServiceDefinition } from "../service/service-definition.js";
import { integerAtLeast } from "./parse-flags.js";
import { readRequest } from "./request-input.js";
import { createStreamMethodCommand } from "./call-stream-command.js";
import { collect, firstLine, methodDescription, parseHeaders, type CallCommandContext } from "./call-parts.js";

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

