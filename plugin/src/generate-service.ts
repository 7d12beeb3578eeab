import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { getComments, type GeneratedFile } from "@bufbuild/protoplugin";
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
 * Prints, for one service: the handler interface, the function that serves it, and the client
 * class. Every type comes from protoc-gen-es's output; the code only binds it to the runtime.
 */
export function generateService(f: GeneratedFile, service: DescService, methods: readonly DescMethod[], options: PluginOptions): void {
  const runtime = (name: string, typeOnly = false) => f.import(name, `${options.runtimeImportPath}/codegen`, typeOnly);
  const messageInitShape = f.import("MessageInitShape", "@bufbuild/protobuf", true);
  const natsConnection = f.import("NatsConnection", "nats", true);
  const serviceDescriptor = f.importSchema(service);
  const names = generatedNames(service);
  const methodDoc = (method: DescMethod) => f.jsDoc(method, "  ");

  f.print(f.jsDoc(`The handlers of ${service.typeName}: implement one method per RPC and pass them to ${names.serve}().\n\n${serviceComment(service)}@generated from service ${service.typeName}`));
  f.print(f.export("interface", names.handlers), " {");
  for (const method of methods) {
    const output = f.importSchema(method.output, true);
    f.print(methodDoc(method));
    f.print("  ", method.localName, "(request: ", f.importShape(method.input), ", context: ", runtime("HandlerContext", true), "):");
    f.print("    | Promise<", messageInitShape, "<typeof ", output, ">>");
    f.print("    | ", messageInitShape, "<typeof ", output, ">;");
  }
  f.print("}");
  f.print();

  f.print(f.jsDoc(`Serves ${service.typeName} on a NATS connection as a NATS micro service (ADR-32): one endpoint per\nmethod, in queue group "q", with $SRV discovery and stats. Resolves once the server has every\nsubscription; stop it with \`host.stop()\`, which drains in-flight requests.`));
  f.print(f.export("function", names.serve), "(");
  f.print("  nc: ", natsConnection, ",");
  f.print("  handlers: ", names.handlers, ",");
  f.print("  options?: ", runtime("HostOptions", true), ",");
  f.print("): Promise<", runtime("ServiceHost", true), "> {");
  f.print("  return ", runtime("createHost"), "(nc, ", serviceDescriptor, ", handlers, options);");
  f.print("}");
  f.print();

  f.print(f.jsDoc(`A client of ${service.typeName}. Every method sends one request and resolves with the reply, or\nrejects with an \`RpcError\` whose \`code\` says what went wrong.\n\n${serviceComment(service)}@generated from service ${service.typeName}`));
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
    f.print("    request: ", messageInitShape, "<typeof ", f.importSchema(method.input, true), ">,");
    f.print("    options?: ", runtime("CallOptions", true), ",");
    f.print("  ): Promise<", f.importShape(method.output), "> {");
    f.print("    return this.#client.", method.localName, "(request, options);");
    f.print("  }");
  }
  f.print("}");
}

// The service's own leading comment, as a paragraph, or nothing. Every line loses the space after
// `//`, as in the JSDoc protoplugin writes for methods.
function serviceComment(service: DescService): string {
  const comment = getComments(service)
    .leading?.split("\n")
    .map((line) => (line.startsWith(" ") ? line.substring(1) : line))
    .join("\n")
    .trim();
  return comment === undefined || comment === "" ? "" : `${comment}\n\n`;
}
