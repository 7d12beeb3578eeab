import { Command, Option } from "commander";
import { toJsonString, type Registry } from "@bufbuild/protobuf";
import { callClientStream, callStream, type StreamCallSettings } from "../client/call-stream.js";
import type { StreamCallOptions } from "../client/call-options.js";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import { defaultStreamHeartbeatMs, defaultStreamWindow } from "../protocol/stream-frames.js";
import { streamKindLabel, type StreamEndpointDefinition } from "../service/service-definition.js";
import { collect, firstLine, methodDescription, parseHeaders, type CallCommandContext } from "./call-parts.js";
import { integerAtLeast } from "./parse-flags.js";
import { readRequest } from "./request-input.js";
import { readRequestLines } from "./request-lines.js";

interface StreamCallFlags {
  file?: string;
  timeout?: number;
  header?: string[];
  encoding: "binary" | "json";
  emitDefaults: boolean;
}

/**
 * The `call` subcommand of one streaming method (docs/cli.md, "Streams"): the replies of a
 * server-streaming or bidirectional method as JSON lines on standard output as they come, the one
 * reply of a client-streaming method as `call` prints a unary reply; the requests of a
 * client-streaming or bidirectional method as JSON lines from a file or standard input, read as
 * the host takes them. Ctrl-C (or SIGTERM) cancels the stream on the host.
 *
 * @example
 * streams call count '{"count": 3}'
 * printf '{"n":1}\n{"n":2}\n' | streams call sum -
 */
export function createStreamMethodCommand(endpoint: StreamEndpointDefinition, registry: Registry, context: CallCommandContext): Command {
  const { method, kind } = endpoint;
  const takesOne = kind === "server_streaming";
  const command = new Command(method.localName)
    .summary(firstLine(context.methodComments[method.localName]) ?? `call ${method.name} (${streamKindLabel(kind)})`)
    .description(methodDescription(endpoint, context.methodComments[method.localName]))
    .argument(
      takesOne ? "[request]" : "[requests]",
      takesOne ? `the request (${method.input.typeName}) as JSON; - reads standard input; {} when left out` : `- reads the requests (${method.input.typeName}) from standard input, one JSON object per line`,
    )
    .addOption(new Option("-f, --file <path>", takesOne ? "read the request as JSON from a file (- for standard input)" : "read the requests from a file, one JSON object per line (- for standard input)"))
    .addOption(new Option("-t, --timeout <ms>", `the stream's deadline (default: ${endpoint.timeoutMs ?? "none"})`).argParser(integerAtLeast(1)))
    .addOption(new Option("-H, --header <header>", 'a request header, "Name: value"; repeatable').argParser(collect))
    .addOption(new Option("--encoding <encoding>", "encoding on the wire").choices(["binary", "json"]).default("binary"))
    .addOption(new Option("--no-emit-defaults", "leave fields that hold their default value out of the replies"))
    .action(async (argument: string | undefined, flags: StreamCallFlags, self: Command) => {
      const input = takesOne ? await readRequest(method.input, { ...(argument === undefined ? {} : { argument }), ...(flags.file === undefined ? {} : { file: flags.file }) }, registry) : readRequestLines(method.input, { file: requestsFile(argument, flags.file) }, registry);
      const headers = parseHeaders(flags.header ?? []);
      const nc = await context.connect(self);
      // Ctrl-C or SIGTERM cancel the stream, which tells the host.
      const controller = new AbortController();
      const cancel = () => controller.abort();
      process.once("SIGINT", cancel);
      process.once("SIGTERM", cancel);
      try {
        const settings: StreamCallSettings = { nc, endpoint, registry, encoding: flags.encoding, window: defaultStreamWindow, heartbeatMs: defaultStreamHeartbeatMs, timeoutMs: endpoint.timeoutMs };
        const options: StreamCallOptions = { headers, signal: controller.signal, ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }) };
        if (kind === "client_streaming") {
          const reply = await callClientStream(settings, input, options);
          context.write(`${toJsonString(method.output, reply, { prettySpaces: 2, alwaysEmitImplicit: flags.emitDefaults, registry })}\n`);
        } else {
          for await (const reply of callStream(settings, input, options)) {
            context.write(`${toJsonString(method.output, reply, { alwaysEmitImplicit: flags.emitDefaults, registry })}\n`);
          }
        }
      } finally {
        process.off("SIGINT", cancel);
        process.off("SIGTERM", cancel);
        await nc.close();
      }
    });
  if (method.name !== method.localName) {
    command.alias(method.name);
  }
  return command;
}

// Where a stream's requests come from: `-` (the argument or --file) for standard input, or a file.
function requestsFile(argument: string | undefined, file: string | undefined): string {
  if (argument !== undefined && file !== undefined) {
    throw new RpcError("give the requests either as - or with --file, not both", Code.InvalidArgument);
  }
  if (argument !== undefined && argument !== "-") {
    throw new RpcError(`the requests of a stream come one JSON object per line from a file (--file) or standard input (-), not as an argument: got ${JSON.stringify(argument)}`, Code.InvalidArgument);
  }
  const source = argument ?? file;
  if (source === undefined) {
    throw new RpcError("give the requests of the stream, one JSON object per line: --file <path>, or - for standard input", Code.InvalidArgument);
  }
  return source;
}
