import { checkVersion } from "nats-micro-runtime/service";

/** What the plugin emits for each service. */
export type Emit = "both" | "host" | "client";

/** The options of protoc-gen-nats itself (`opt:` in buf.gen.yaml, `--nats_opt` with protoc). */
export interface PluginOptions {
  /** Where generated code imports the runtime from: `nats-micro-runtime` unless set. */
  runtimeImportPath: string;
  /** `both` (default): handler interface, serve function and client; `host`: the first two; `client`: the client. */
  emit: Emit;
  /** The version of services whose proto options set none; the runtime's `0.0.0` unless set. */
  defaultVersion: string | undefined;
  /** Whether to emit a command-line program per service (`<name>_cli.ts`). */
  cli: boolean;
  /**
   * The module that exports each service's handlers as `<service>Handlers` (`calcHandlers` for
   * `Calc`): the CLI then has a `serve` command. A path starting with `./` or `../` is relative to
   * the output directory, as protoc-gen-es's `rewrite_imports` paths are; any other is a package.
   */
  cliHandlers: string | undefined;
  /**
   * Whether `serve<Service>` validates requests with their buf.validate rules (the runtime's
   * `nats-micro-runtime/validation`, which needs `@bufbuild/protovalidate`).
   */
  validate: boolean;
  /**
   * Whether to write `<name>.openapi.json` beside the code of each file with services: the OpenAPI
   * 3.1 document of what `nats-micro-runtime/gateway` serves for them (docs/gateway.md).
   */
  openapi: boolean;
  /**
   * The field names of the OpenAPI schemas: `json` (lowerCamelCase, the default) or `proto`, as a
   * gateway with `json.useProtoFieldName` (`gateway --json-names proto`) writes its replies.
   */
  openapiJsonNames: "json" | "proto";
}

const knownKeys = ["runtime_import_path", "emit", "default_version", "cli", "cli_handlers", "validate", "openapi", "openapi_json_names"];
const emitValues: readonly string[] = ["both", "host", "client"] satisfies Emit[];

/**
 * Reads the plugin's own options; the standard ones (`target`, `import_extension`, ...) are read by
 * protoplugin before. An unknown key or a bad value is an error that says what is accepted.
 */
export function parsePluginOptions(rawOptions: readonly { key: string; value: string }[]): PluginOptions {
  const options: PluginOptions = { runtimeImportPath: "nats-micro-runtime", emit: "both", defaultVersion: undefined, cli: false, cliHandlers: undefined, validate: false, openapi: false, openapiJsonNames: "json" };
  for (const { key, value } of rawOptions) {
    switch (key) {
      case "runtime_import_path":
        if (value === "") {
          throw new Error("option runtime_import_path needs a value, such as runtime_import_path=nats-micro-runtime");
        }
        options.runtimeImportPath = value;
        break;
      case "emit":
        if (!emitValues.includes(value)) {
          throw new Error(`option emit must be one of ${emitValues.join(", ")}, got "${value}"`);
        }
        options.emit = value as Emit;
        break;
      case "default_version": {
        const problem = checkVersion(value);
        if (problem !== undefined) {
          throw new Error(`option default_version: ${problem}`);
        }
        options.defaultVersion = value;
        break;
      }
      case "cli":
        if (value !== "" && value !== "true" && value !== "false") {
          throw new Error(`option cli must be true or false, got "${value}"`);
        }
        options.cli = value !== "false";
        break;
      case "cli_handlers":
        if (value === "") {
          throw new Error("option cli_handlers needs the module that exports the handlers, such as cli_handlers=../calc-handlers.js");
        }
        // Naming the handlers asks for the program that serves them.
        options.cli = true;
        options.cliHandlers = value;
        break;
      case "validate":
        if (value !== "" && value !== "true" && value !== "false") {
          throw new Error(`option validate must be true or false, got "${value}"`);
        }
        options.validate = value !== "false";
        break;
      case "openapi":
        if (value !== "" && value !== "true" && value !== "false") {
          throw new Error(`option openapi must be true or false, got "${value}"`);
        }
        options.openapi = value !== "false";
        break;
      case "openapi_json_names":
        if (value !== "json" && value !== "proto") {
          throw new Error(`option openapi_json_names must be json or proto, got "${value}"`);
        }
        options.openapiJsonNames = value;
        break;
      default:
        throw new Error(
          `unknown option "${key}": protoc-gen-nats knows ${knownKeys.join(", ")} and the standard options of protoc-gen-es (target, import_extension, js_import_style, keep_empty_files, ts_nocheck)`,
        );
    }
  }
  return options;
}
