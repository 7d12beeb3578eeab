import type { DescFile } from "@bufbuild/protobuf";
import { createEcmaScriptPlugin, type Schema } from "@bufbuild/protoplugin";
import { checkPipelines, checkServicesTogether, defineService, type ServiceDefinition } from "nats-micro-runtime/service";
import { generateCli } from "./generate-cli.js";
import { generateOpenApi, httpRuleProblems } from "./generate-openapi.js";
import { generatePipelines, stopsByName } from "./generate-pipelines.js";
import { generatedDefaults, generateService } from "./generate-service.js";
import { parsePluginOptions, type PluginOptions } from "./plugin-options.js";
import { version } from "./version.js";

/**
 * The protoc-gen-nats plugin: for every proto file with services, a `<name>_nats.ts` beside
 * protoc-gen-es's `<name>_pb.ts`, with each service's handler interface, serve function and client,
 * with the `cli` option a `<name>_cli.ts` with each service's command-line program, and with the
 * `openapi` option a `<name>.openapi.json` with the OpenAPI document of the services' HTTP routes.
 * Services without methods are skipped with a warning.
 * Services whose options break a rule, and `google.api.http` rules that cannot work, fail the
 * generation, with every problem named.
 */
export const protocGenNats = createEcmaScriptPlugin({
  name: "protoc-gen-nats",
  version: `v${version}`,
  parseOptions: parsePluginOptions,
  generateTs,
});

function generateTs(schema: Schema<PluginOptions>): void {
  const problems: string[] = [];
  const filesToGenerate = schema.files.map((file) => ({ file, services: servicesOf(file, schema.options, problems) }));
  const definitions = filesToGenerate.flatMap(({ services }) => services);
  problems.push(...checkServicesTogether(definitions).map(({ service, message }) => `${service.file.proto.name}: ${message}`));
  // Pipelines may route through the stops of any file at hand, the imported ones too.
  const allServices = schema.allFiles.flatMap((file) => file.services);
  problems.push(...checkPipelines(allServices).map(({ service, message }) => `${service.file.proto.name}: ${message}`));
  if (problems.length > 0) {
    throw new Error(`invalid nats.micro.v1 options:\n${problems.join("\n")}`);
  }
  // The rules the gateway would reject when it starts, whether or not an OpenAPI document is asked for.
  const ruleProblems = schema.files.flatMap((file) => httpRuleProblems(file));
  if (ruleProblems.length > 0) {
    throw new Error(`invalid google.api.http rules:\n${ruleProblems.join("\n")}`);
  }
  // The document is written in generateTs, and protoplugin would hand it to the TypeScript compiler
  // for a js or dts target without ts.
  if (schema.options.openapi && !schema.targets.includes("ts")) {
    throw new Error(`option openapi=true needs the target ts (such as target=ts or target=ts+js), got target=${schema.targets.join("+")}`);
  }
  for (const { file, services } of filesToGenerate) {
    if (services.length === 0) {
      continue;
    }
    const f = schema.generateFile(`${file.name}_nats.ts`);
    f.preamble(file);
    services.forEach((definition, index) => {
      if (index > 0) {
        f.print();
      }
      generateService(f, definition, schema.options);
      if (schema.options.emit !== "host") {
        // Starting a message is a client's business (docs/pipelines.md).
        generatePipelines(f, definition.service, stopsByName(allServices), schema.options);
      }
    });
    if (schema.options.cli) {
      const cli = schema.generateFile(`${file.name}_cli.ts`);
      cli.preamble(file);
      services.forEach((definition, index) => {
        if (index > 0) {
          cli.print();
        }
        generateCli(cli, definition, schema.options);
      });
    }
    if (schema.options.openapi) {
      generateOpenApi(schema, file, services);
    }
  }
}

// The services of a file worth generating, as the runtime will define them at start (which checks them).
function servicesOf(file: DescFile, options: PluginOptions, problems: string[]): ServiceDefinition[] {
  return file.services.flatMap((service) => {
    // A host and client without methods would be of no use (and would not compile under noUnusedLocals).
    if (service.methods.length === 0) {
      warn(`${file.proto.name}: skipping service ${service.typeName}: it has no methods`);
      return [];
    }
    try {
      return [defineService(service, { defaults: generatedDefaults(service, options) })];
    } catch (error) {
      problems.push(...String(error instanceof Error ? error.message : error).split("\n").map((line) => `${file.proto.name}: ${line}`));
      return [];
    }
  });
}

function warn(message: string): void {
  process.stderr.write(`protoc-gen-nats: warning: ${message}\n`);
}
