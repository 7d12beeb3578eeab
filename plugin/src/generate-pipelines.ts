import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { GeneratedFile } from "@bufbuild/protoplugin";
import { pipelinesOf, stopNameOf, type PipelineDeclaration } from "nats-micro-runtime/service";
import type { PluginOptions } from "./plugin-options.js";

/** The names a pipeline's generated code exports. */
export function generatedPipelineNames(pipeline: PipelineDeclaration) {
  return {
    definition: `${pipeline.name}Pipeline`,
    start: `start${pipeline.name}`,
  };
}

/** Every stop of the services given, by its name in routes. */
export function stopsByName(services: readonly DescService[]): Map<string, DescMethod> {
  const stops = new Map<string, DescMethod>();
  for (const method of services.flatMap((service) => service.methods)) {
    const name = stopNameOf(method);
    if (name !== undefined && !stops.has(name)) {
      stops.set(name, method);
    }
  }
  return stops;
}

/**
 * Prints, for each pipeline a service declares (its `pipeline` option, checked before by
 * `checkPipelines`): the pipeline's definition, and `start<Name>(nc, message, options?)`, which
 * starts a message typed as the first stop's input on it. Nothing when the service declares none.
 */
export function generatePipelines(f: GeneratedFile, service: DescService, stops: ReadonlyMap<string, DescMethod>, options: PluginOptions): void {
  const pipelineRuntime = (name: string, typeOnly = false) => f.import(name, `${options.runtimeImportPath}/pipeline`, typeOnly);
  for (const pipeline of pipelinesOf(service)) {
    const first = stops.get(pipeline.route[0]!)!;
    const last = stops.get(pipeline.route.at(-1)!)!;
    const names = generatedPipelineNames(pipeline);
    const input = f.importSchema(first.input, true);
    const output = f.importSchema(last.output, true);
    const routeDoc = pipeline.route.map((stop) => `\`${stop}\``).join(" → ");
    const title = pipeline.description === "" ? `Pipeline ${pipeline.name}.` : `Pipeline ${pipeline.name}: ${pipeline.description}`;
    f.print();
    f.print(
      f.jsDoc(
        `${title}\n\nIts default route is ${routeDoc}; a message starts as\n${first.input.typeName} and leaves its last stop as ${last.output.typeName}.\n\n@generated from pipeline ${pipeline.name} of service ${service.typeName}`,
      ),
    );
    f.print(f.export("const", names.definition), ": ", pipelineRuntime("PipelineDefinition", true), "<typeof ", input, ", typeof ", output, "> = ", pipelineRuntime("definePipeline"), "(");
    f.print("  ", f.string(pipeline.name), ",");
    f.print("  [", ...pipeline.route.flatMap((stop, index) => (index === 0 ? [f.string(stop)] : [", ", f.string(stop)])), "],");
    f.print("  ", f.importSchema(first.input), ",");
    f.print("  ", f.importSchema(last.output), ",");
    f.print(");");
    f.print();
    f.print(
      f.jsDoc(
        `Starts a message on pipeline ${pipeline.name} (${routeDoc} unless \`options.route\` says\notherwise): stores it in the stream of its first stop, with its routing slip in its headers.\nResolves with the route's id once JetStream has it; with \`options.id\`, starting the same id\nagain within the duplicate window stores nothing more.\n\n@generated from pipeline ${pipeline.name} of service ${service.typeName}`,
      ),
    );
    f.print(f.export("function", names.start), "(");
    f.print("  nc: ", f.import("NatsConnection", `${options.runtimeImportPath}/codegenv1`, true), ",");
    f.print("  message: ", f.import("MessageInitShape", "@bufbuild/protobuf", true), "<typeof ", input, ">,");
    f.print("  options?: ", pipelineRuntime("StartPipelineOptions", true), ",");
    f.print("): Promise<", pipelineRuntime("StartedRoute", true), "> {");
    f.print("  return ", pipelineRuntime("startPipeline"), "(nc, ", names.definition, ", message, options);");
    f.print("}");
  }
}
