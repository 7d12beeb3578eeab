import { createEcmaScriptPlugin, type Schema } from "@bufbuild/protoplugin";
import { generateService } from "./generate-service.js";
import { parsePluginOptions, type PluginOptions } from "./plugin-options.js";
import { version } from "./version.js";

/**
 * The protoc-gen-nats plugin: for every proto file with services, a `<name>_nats.ts` beside
 * protoc-gen-es's `<name>_pb.ts`, with each service's handler interface, serve function and client.
 * Methods other than unary ones, and services left without methods, are skipped with a warning.
 */
export const protocGenNats = createEcmaScriptPlugin({
  name: "protoc-gen-nats",
  version: `v${version}`,
  parseOptions: parsePluginOptions,
  generateTs,
});

function generateTs(schema: Schema<PluginOptions>): void {
  for (const file of schema.files) {
    const services = file.services.flatMap((service) => {
      // This version of the protocol has unary methods only: others are skipped, loudly.
      const unary = service.methods.filter((method) => method.methodKind === "unary");
      for (const method of service.methods.filter((method) => method.methodKind !== "unary")) {
        warn(`${file.proto.name}: skipping ${method.methodKind} method ${service.typeName}.${method.name}: only unary methods are supported`);
      }
      // A host and client without methods would be of no use (and would not compile under noUnusedLocals).
      if (unary.length === 0) {
        warn(`${file.proto.name}: skipping service ${service.typeName}: it has no unary methods`);
        return [];
      }
      return [{ service, unary }];
    });
    if (services.length === 0) {
      continue;
    }
    const f = schema.generateFile(`${file.name}_nats.ts`);
    f.preamble(file);
    services.forEach(({ service, unary }, index) => {
      if (index > 0) {
        f.print();
      }
      generateService(f, service, unary, schema.options);
    });
  }
}

function warn(message: string): void {
  process.stderr.write(`protoc-gen-nats: warning: ${message}\n`);
}
