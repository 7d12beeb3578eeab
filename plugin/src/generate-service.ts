import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { getComments, type GeneratedFile, type Printable } from "@bufbuild/protoplugin";
import { streamKindLabel, type ServiceDefinition } from "nats-micro-runtime/service";
import type { PluginOptions } from "./plugin-options.js";

/** The names a service's generated code exports. */
export function generatedNames(service: DescService) {
  return {
    handlers: `${service.name}Handlers`,
    serve: `serve${service.name}`,
    client: `${service.name}Client`,
  };
}

/**
 * Prints, for one service: the handler interface and the function that serves it, and the client
 * class (as the `emit` option asks). Every type comes from protoc-gen-es's output; the code only
 * binds it to the runtime. `definition` is what the runtime will make of the service.
 */
export function generateService(f: GeneratedFile, definition: ServiceDefinition, options: PluginOptions): void {
  const { service } = definition;
  // Every method, unary and streaming, in proto order.
  const methods = service.methods;
  const runtime = (name: string, typeOnly = false) => f.import(name, `${options.runtimeImportPath}/codegenv1`, typeOnly);
  const messageInitShape = f.import("MessageInitShape", "@bufbuild/protobuf", true);
  // The connection type comes from the runtime, so generated code does not name a NATS package.
  const natsConnection = runtime("NatsConnection", true);
  const serviceDescriptor = f.importSchema(service);
  const names = generatedNames(service);
  const methodDoc = (method: DescMethod) => f.jsDoc(method, "  ");

  if (options.emit !== "client") {
    f.print(f.jsDoc(`The handlers of ${service.typeName}: implement one method per RPC and pass them to ${names.serve}().\n\n${serviceComment(service)}@generated from service ${service.typeName}`));
    f.print(f.export("interface", names.handlers), " {");
    for (const method of methods) {
      const output = f.importSchema(method.output, true);
      f.print(methodDoc(method));
      if (method.methodKind !== "unary") {
        // As in Connect-ES: the requests of a stream as an AsyncIterable, the replies yielded (docs/streaming.md).
        const input = method.methodKind === "server_streaming" ? ["request: ", f.importShape(method.input)] : ["requests: AsyncIterable<", f.importShape(method.input), ">"];
        const returned = method.methodKind === "client_streaming" ? ["Promise<", messageInitShape, "<typeof ", output, ">>"] : ["AsyncIterable<", messageInitShape, "<typeof ", output, ">>"];
        f.print("  ", method.localName, "(", ...input, ", context: ", runtime("HandlerContext", true), "): ", ...returned, ";");
        continue;
      }
      f.print("  ", method.localName, "(request: ", f.importShape(method.input), ", context: ", runtime("HandlerContext", true), "):");
      if (isStop(definition, method)) {
        // A pipeline stop drops the message with undefined (docs/pipelines.md).
        f.print("    | Promise<", messageInitShape, "<typeof ", output, "> | undefined>");
        f.print("    | ", messageInitShape, "<typeof ", output, ">");
        f.print("    | undefined;");
      } else {
        f.print("    | Promise<", messageInitShape, "<typeof ", output, ">>");
        f.print("    | ", messageInitShape, "<typeof ", output, ">;");
      }
    }
    f.print("}");
    f.print();

    const defaults = generatedDefaults(service, options);
    const defaultsPart: Printable = Object.keys(defaults).length === 0 ? [] : ["defaults: ", defaultsLiteral(f, defaults), ", "];
    // With validate=true the host validates every request by its buf.validate rules, innermost:
    // after the caller's own interceptors (say, authentication), just before the handler.
    const validation = options.validate
      ? [", interceptors: [...(options?.interceptors ?? []), ", f.import("createValidationInterceptor", `${options.runtimeImportPath}/validation`), "()]"]
      : [];
    const hostOptions: Printable =
      Object.keys(defaults).length === 0 && !options.validate ? "options" : ["{ ", defaultsPart, "...options", validation, " }"];
    const hostOptionsType = runtime("HostOptions", true);
    const serviceHost = runtime("ServiceHost", true);
    if (methods.length > 0) {
      // With `methods`, handlers for those methods only: the proto names map to handler names here.
      const methodNames = methods.map((method) => JSON.stringify(method.name)).join(" | ");
      const handlerNames = methods.map((method) => `${method.name}: ${JSON.stringify(method.localName)}`).join("; ");
      const example = JSON.stringify(methods[0]!.name);
      f.print(f.jsDoc(`Serves only the methods that \`options.methods\` names (proto names, as $SRV.INFO shows them:\n\`${example}\`), with handlers for those methods only.`));
      f.print(f.export("function", names.serve), "<Method extends ", methodNames, ">(");
      f.print("  nc: ", natsConnection, ",");
      f.print("  handlers: Pick<", names.handlers, ", { ", handlerNames, " }[Method]>,");
      f.print("  options: ", hostOptionsType, " & { methods: readonly Method[] },");
      f.print("): Promise<", serviceHost, ">;");
    }
    // The common form last: `Parameters<typeof serve…>` gives the last overload.
    f.print(f.jsDoc(`Serves ${service.typeName} on a NATS connection as the NATS micro service "${definition.name}" (ADR-32), with\n$SRV discovery and stats, on these subjects:\n\n${endpointList(definition)}\n\nResolves once the server has every subscription; stop it with \`host.stop()\`, which drains\nin-flight requests.${options.validate ? "\n\nAnswers a request that breaks its buf.validate rules with `invalid_argument` and the\nviolations, before its handler runs (plugin option validate=true)." : ""}`));
    f.print(f.export("function", names.serve), "(");
    f.print("  nc: ", natsConnection, ",");
    f.print("  handlers: ", names.handlers, ",");
    f.print("  options?: ", hostOptionsType, ",");
    f.print("): Promise<", serviceHost, ">;");
    f.print(f.export("function", names.serve), "(");
    f.print("  nc: ", natsConnection, ",");
    f.print("  handlers: Partial<", names.handlers, ">,");
    f.print("  options?: ", hostOptionsType, ",");
    f.print("): Promise<", serviceHost, "> {");
    // The host checks that every method it serves has its handler.
    f.print("  return ", runtime("createHost"), "(nc, ", serviceDescriptor, ", handlers as ", names.handlers, ", ", hostOptions, ");");
    f.print("}");
  }
  if (options.emit === "both") {
    f.print();
  }
  if (options.emit !== "host") {
    const clientDoc = methods.every((method) => method.methodKind === "unary")
      ? "Every method sends one request and resolves with the reply, or\nrejects with an `RpcError` whose `code` says what went wrong."
      : "A unary method sends one request and resolves with the reply; a streaming\nmethod streams (docs/streaming.md). A failure is an `RpcError` whose `code` says what went wrong.";
    f.print(f.jsDoc(`A client of ${service.typeName}. ${clientDoc}\n\n${serviceComment(service)}@generated from service ${service.typeName}`));
    f.print(f.export("class", names.client), " {");
    f.print("  readonly #client: ", runtime("ServiceClient", true), "<typeof ", serviceDescriptor, ">;");
    f.print();
    f.print("  constructor(nc: ", natsConnection, ", options?: ", runtime("ClientOptions", true), ") {");
    f.print("    this.#client = ", runtime("createClient"), "(nc, ", serviceDescriptor, ", options);");
    f.print("  }");
    for (const method of methods) {
      f.print();
      f.print(methodDoc(method));
      f.print("  ", method.localName, "(");
      const input = [messageInitShape, "<typeof ", f.importSchema(method.input, true), ">"];
      const output = f.importShape(method.output);
      switch (method.methodKind) {
        case "unary":
          f.print("    request: ", ...input, ",");
          f.print("    options?: ", runtime("CallOptions", true), ",");
          f.print("  ): Promise<", output, "> {");
          f.print("    return this.#client.", method.localName, "(request, options);");
          break;
        case "server_streaming":
          // The stream opens when the loop first asks for a reply; leaving the loop cancels it on the host.
          f.print("    request: ", ...input, ",");
          f.print("    options?: ", runtime("StreamCallOptions", true), ",");
          f.print("  ): AsyncIterable<", output, "> {");
          f.print("    return this.#client.", method.localName, "(request, options);");
          break;
        case "client_streaming":
          f.print("    requests: AsyncIterable<", ...input, ">,");
          f.print("    options?: ", runtime("StreamCallOptions", true), ",");
          f.print("  ): Promise<", output, "> {");
          f.print("    return this.#client.", method.localName, "(requests, options);");
          break;
        case "bidi_streaming":
          f.print("    requests: AsyncIterable<", ...input, ">,");
          f.print("    options?: ", runtime("StreamCallOptions", true), ",");
          f.print("  ): AsyncIterable<", output, "> {");
          f.print("    return this.#client.", method.localName, "(requests, options);");
          break;
      }
      f.print("  }");
    }
    f.print("}");
  }
}

// Whether a method is a pipeline stop: its handler may return undefined.
function isStop(definition: ServiceDefinition, method: DescMethod): boolean {
  return definition.endpoints.some((endpoint) => endpoint.method === method && endpoint.stop !== undefined);
}

/**
 * What generated code passes to the runtime as `defaults`: the service's proto comment as its
 * description, and the plugin's `default_version`. The runtime uses them where the proto options
 * set nothing; they are not in the descriptor, which carries no comments.
 */
export function generatedDefaults(service: DescService, options: PluginOptions): { description?: string; version?: string } {
  const description = leadingComment(service);
  return {
    ...(description === "" ? {} : { description }),
    ...(options.defaultVersion === undefined ? {} : { version: options.defaultVersion }),
  };
}

/** The `defaults` object as a TypeScript literal. */
export function defaultsLiteral(f: GeneratedFile, defaults: { description?: string; version?: string }): Printable {
  const fields = Object.entries(defaults).map(([key, value]) => [key, ": ", f.string(value)]);
  return ["{ ", ...fields.flatMap((field, index) => (index === 0 ? field : [", ", ...field])), " }"];
}

// One line per endpoint for the docs, in proto order: "- Average: calc.v1.Calc.Average (queue group q)",
// "- Watch: calc.v1.Calc.Watch (server streaming, queue group q)".
function endpointList(definition: ServiceDefinition): string {
  const kinds = new Map(definition.streams.map((stream) => [stream.method, `${streamKindLabel(stream.kind)}, `]));
  return [...definition.endpoints, ...definition.streams]
    .sort((a, b) => definition.service.methods.indexOf(a.method) - definition.service.methods.indexOf(b.method))
    .map(({ method, name, subject, queueGroup }) => `- ${name}: \`${subject}\` (${kinds.get(method) ?? ""}${queueGroup === undefined ? "no queue group: every instance" : `queue group \`${queueGroup}\``})`)
    .join("\n");
}

// The service's own leading comment, as a paragraph, or nothing.
function serviceComment(service: DescService): string {
  const comment = leadingComment(service);
  return comment === "" ? "" : `${comment}\n\n`;
}

/**
 * The leading comment of a service or method, trimmed; every line loses the space after `//`, as
 * in the JSDoc protoplugin writes for methods.
 */
export function leadingComment(desc: DescService | DescMethod): string {
  return (
    getComments(desc)
      .leading?.split("\n")
      .map((line) => (line.startsWith(" ") ? line.substring(1) : line))
      .join("\n")
      .trim() ?? ""
  );
}
