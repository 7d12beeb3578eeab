import type { DescService } from "@bufbuild/protobuf";
import type { GeneratedFile, Printable } from "@bufbuild/protoplugin";
import type { ServiceDefinition } from "nats-micro-runtime/service";
import { defaultsLiteral, generatedDefaults, leadingComment } from "./generate-service.js";
import type { PluginOptions } from "./plugin-options.js";

/** The names a service's generated command-line program uses. */
export function generatedCliNames(service: DescService) {
  const lowerName = service.name.charAt(0).toLowerCase() + service.name.slice(1);
  return {
    run: `run${service.name}Cli`,
    /** What the `cli_handlers` module must export. */
    handlers: `${lowerName}Handlers`,
  };
}

/**
 * Prints, for one service, `run<Service>Cli()`: the command-line program (`serve` when the
 * plugin option `cli_handlers` names the handlers, `gateway`, `call`, `jobs`, `pipeline`, `ping`, `info`, `stats`). The methods'
 * proto comments go along for `--help`, since the embedded descriptors carry none; the service's
 * goes as its default description.
 */
export function generateCli(f: GeneratedFile, definition: ServiceDefinition, options: PluginOptions): void {
  const { service } = definition;
  const names = generatedCliNames(service);
  const defaults = generatedDefaults(service, options);
  const handlers = options.cliHandlers === undefined ? undefined : f.import(names.handlers, options.cliHandlers);
  const commands = handlers === undefined ? "`gateway`, `call`, `jobs`, `pipeline`, `ping`, `info` and `stats`" : "`serve`, `gateway`, `call`, `jobs`, `pipeline`, `ping`, `info` and `stats`";

  f.print(
    f.jsDoc(
      `Runs the command-line program of ${service.typeName}: ${commands}.\nParses \`argv\` (\`process.argv\` unless given) and sets \`process.exitCode\`; \`options\` go over the generated ones. A \`bin\` script\nneeds one line:\n\n    await ${names.run}();\n\n@generated from service ${service.typeName}`,
    ),
  );
  const cliOptions = f.import("ServiceCliOptions", `${options.runtimeImportPath}/codegenv1/cli`, true);
  f.print(f.export("function", names.run), "(argv?: readonly string[], options?: ", cliOptions, "<typeof ", f.importSchema(service), ">): Promise<void> {");
  f.print("  return ", f.import("runServiceCli", `${options.runtimeImportPath}/codegenv1/cli`), "(");
  f.print("    ", f.importSchema(service), ",");
  // The options object, one printed line per field; none at all for a bare service.
  const fields: Printable[][] = [];
  if (handlers !== undefined) {
    fields.push(["      handlers: ", handlers, ","]);
  }
  const commented = [...definition.endpoints, ...definition.streams]
    .sort((a, b) => service.methods.indexOf(a.method) - service.methods.indexOf(b.method))
    .map(({ method }) => ({ method, text: leadingComment(method) }))
    .filter(({ text }) => text !== "");
  if (commented.length > 0) {
    fields.push(["      methodComments: {"]);
    for (const { method, text } of commented) {
      fields.push(["        ", method.localName, ": ", f.string(text), ","]);
    }
    fields.push(["      },"]);
  }
  if (Object.keys(defaults).length > 0) {
    fields.push(["      defaults: ", defaultsLiteral(f, defaults), ","]);
  }
  if (handlers !== undefined && options.validate) {
    // `serve` validates as serve<Service> does (validate=true).
    fields.push(["      interceptors: [", f.import("createValidationInterceptor", `${options.runtimeImportPath}/validation`), "()],"]);
  }
  // The program's own options (a gateway error renderer, handlers made elsewhere ...) over the generated ones.
  fields.push(["      ...options,"]);
  f.print("    {");
  fields.forEach((field) => f.print(...field));
  f.print("    },");
  f.print("    argv,");
  f.print("  );");
  f.print("}");
}
