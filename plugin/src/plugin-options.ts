/** The options of protoc-gen-nats itself (`opt:` in buf.gen.yaml, `--nats_opt` with protoc). */
export interface PluginOptions {
  /** Where generated code imports the runtime from: `nats-micro-runtime` unless set. */
  runtimeImportPath: string;
}

const knownKeys = ["runtime_import_path"];

/**
 * Reads the plugin's own options; the standard ones (`target`, `import_extension`, ...) are read by
 * protoplugin before. An unknown key is an error that lists the known ones.
 */
export function parsePluginOptions(rawOptions: readonly { key: string; value: string }[]): PluginOptions {
  const options: PluginOptions = { runtimeImportPath: "nats-micro-runtime" };
  for (const { key, value } of rawOptions) {
    switch (key) {
      case "runtime_import_path":
        if (value === "") {
          throw new Error("option runtime_import_path needs a value, such as runtime_import_path=nats-micro-runtime");
        }
        options.runtimeImportPath = value;
        break;
      default:
        throw new Error(`unknown option "${key}": protoc-gen-nats knows ${knownKeys.join(", ")} and the standard options of protoc-gen-es (target, import_extension, js_import_style, keep_empty_files, ts_nocheck)`);
    }
  }
  return options;
}
