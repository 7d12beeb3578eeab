import { readFileSync } from "node:fs";
import { create, ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator } from "@bufbuild/protovalidate";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { ConfigSchema, type Config } from "./gen/movies/v1/config_pb.js";

/** One setting: its key in the file (`section.field`), its variable, its default. */
export interface Setting {
  /** `gateway.port`: the section and field names of config.proto. */
  readonly key: string;
  /** The environment variable that sets it. */
  readonly env: string;
  /** What it is for, for `--help`. */
  readonly description: string;
  /** The default, as a file would write it; undefined when there is none. */
  readonly defaultValue: string | number | readonly string[] | undefined;
}

// The environment variables of the NATS settings are the NATS CLI's (as every command of the
// runtime reads them); the others are MOVIES_<SECTION>_<FIELD>.
const environmentNames: Readonly<Record<string, string>> = { "nats.servers": "NATS_URL", "nats.context": "NATS_CONTEXT" };

const defaults: Readonly<Record<string, string | number | readonly string[]>> = {
  "database.url": "postgres://postgres@127.0.0.1:5432/movies",
  "database.pool_size": 10,
  "gateway.host": "127.0.0.1",
  "gateway.port": 8080,
  "gateway.workers": 1,
  "engine.workers": 1,
  "engine.job_concurrency": 8,
  "engine.downloads_dir": "downloads",
  "engine.stranded_check_seconds": 15,
  "mirror.host": "127.0.0.1",
  "mirror.port": 8090,
};

const descriptions: Readonly<Record<string, string>> = {
  "nats.servers": "NATS server URLs, comma-separated (unset: the NATS CLI's selected context, else nats://127.0.0.1:4222)",
  "nats.context": "a NATS CLI context (nats context add), for servers and credentials",
  "database.url": "the engine's PostgreSQL database",
  "database.pool_size": "database connections of each engine process at most",
  "gateway.host": "the address the gateway listens on",
  "gateway.port": "the gateway's port (0: a free one, named in its start log)",
  "gateway.workers": "gateway processes sharing the port",
  "engine.workers": "engine processes, each serving requests and running downloads",
  "engine.job_concurrency": "downloads each engine process runs at once",
  "engine.downloads_dir": "where downloaded files go",
  "engine.stranded_check_seconds": "how often each engine process looks for movies left without their download job",
  "mirror.host": "the address the mirror listens on",
  "mirror.port": "the mirror's port (0: a free one, named in its start log)",
};

/** Every setting, from config.proto: its fields are the file's keys, its comments the descriptions. */
export const settings: readonly Setting[] = ConfigSchema.fields.flatMap((section) =>
  sectionOf(section).fields.map((field) => {
    const key = `${section.name}.${field.name}`;
    return { key, env: environmentNames[key] ?? `MOVIES_${key.replace(".", "_").toUpperCase()}`, description: descriptions[key] ?? field.name, defaultValue: defaults[key] };
  }),
);

/** The environment variable that names the configuration file (as `--config` does). */
export const configFileVariable = "MOVIES_CONFIG";

/** A configuration that cannot be used; its message is one line that says where the value came from. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** The layers of a configuration, weakest first after the defaults. */
export interface ConfigSources {
  /** The YAML file (`--config`, else `MOVIES_CONFIG`); none unless set. */
  readonly file?: string | undefined;
  /** The environment (`process.env`). */
  readonly env: NodeJS.ProcessEnv;
  /** Values from flags, by setting key, with the flag that gave each for messages. */
  readonly flags?: ReadonlyMap<string, { readonly value: string | readonly string[]; readonly flag: string }>;
}

const validator = createValidator();

/**
 * Reads the configuration: the defaults, then the YAML file, then the environment, then flags
 * (each layer wins over the ones before). An unknown key, a value of the wrong type or one that
 * breaks a rule of config.proto (a port out of range, a URL that is not one) throws a
 * {@link ConfigError} whose one-line message names the setting and where it was set.
 */
export function loadConfig(sources: ConfigSources): Config {
  const values = new Map<string, { value: unknown; from: string }>();
  for (const setting of settings) {
    if (setting.defaultValue !== undefined) {
      values.set(setting.key, { value: setting.defaultValue, from: "the default" });
    }
  }
  if (sources.file !== undefined) {
    for (const [key, value] of Object.entries(readConfigFile(sources.file))) {
      values.set(key, { value, from: sources.file });
    }
  }
  for (const setting of settings) {
    const value = sources.env[setting.env];
    if (value !== undefined && value !== "") {
      values.set(setting.key, { value, from: setting.env });
    }
  }
  for (const [key, { value, flag }] of sources.flags ?? []) {
    values.set(key, { value, from: flag });
  }

  const init: Record<string, Record<string, unknown>> = {};
  for (const section of ConfigSchema.fields) {
    const fields: Record<string, unknown> = {};
    for (const field of sectionOf(section).fields) {
      const set = values.get(`${section.name}.${field.name}`);
      if (set !== undefined) {
        fields[field.localName] = coerce(field, set.value, `${section.name}.${field.name} (${set.from})`);
      }
    }
    init[section.localName] = fields;
  }
  const config = create(ConfigSchema, init);
  const result = validator.validate(ConfigSchema, config);
  if (result.kind === "error") {
    throw result.error;
  }
  if (result.kind === "invalid") {
    const problems = result.violations.map((violation) => {
      const key = pathToString(violation.field).replace(/\[\d+\]$/, "");
      const from = values.get(key)?.from;
      return `${pathToString(violation.field)}${from === undefined ? "" : ` (${from})`}: ${violation.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  return config;
}

// The settings of a YAML file, by key; an unknown section or key is an error naming the known ones.
function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read the configuration file ${path}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos !== undefined ? ` at line ${error.linePos[0].line}` : "";
    throw new ConfigError(`${path}: not valid YAML${where}: ${(error as Error).message.split("\n")[0]}`);
  }
  if (document === null || document === undefined) {
    return {};
  }
  const flat: Record<string, unknown> = {};
  const sections = ConfigSchema.fields.map((field) => field.name);
  for (const [sectionName, sectionValue] of Object.entries(mapping(document, path, "the file"))) {
    const section = ConfigSchema.fields.find((field) => field.name === sectionName);
    if (section === undefined) {
      throw new ConfigError(`${path}: unknown section "${sectionName}" (the sections are ${sections.join(", ")})`);
    }
    const fields = sectionOf(section).fields;
    for (const [name, value] of Object.entries(mapping(sectionValue ?? {}, path, sectionName))) {
      if (!fields.some((field) => field.name === name)) {
        throw new ConfigError(`${path}: unknown key "${sectionName}.${name}" (the keys of ${sectionName} are ${fields.map((field) => field.name).join(", ")})`);
      }
      flat[`${sectionName}.${name}`] = value;
    }
  }
  return flat;
}

function mapping(value: unknown, path: string, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`${path}: ${what} must be a mapping of keys to values`);
  }
  return value as Record<string, unknown>;
}

// A value of the file (a YAML scalar or list), of the environment or of a flag (strings), as the
// field's type; `where` names the setting and its source for the error.
function coerce(field: DescField, value: unknown, where: string): unknown {
  if (field.fieldKind === "list") {
    const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(",").map((item) => item.trim()).filter((item) => item !== "") : [value];
    return items.map((item) => {
      if (typeof item !== "string") {
        throw new ConfigError(`${where}: must be a list of strings, got ${JSON.stringify(item)}`);
      }
      return item;
    });
  }
  if (field.fieldKind !== "scalar") {
    throw new ConfigError(`${where}: not a setting`);
  }
  switch (field.scalar) {
    case ScalarType.STRING:
      if (typeof value !== "string" || value === "") {
        throw new ConfigError(`${where}: must be a non-empty string, got ${JSON.stringify(value)}`);
      }
      return value;
    case ScalarType.INT32:
    case ScalarType.UINT32: {
      const number = typeof value === "number" ? value : typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isSafeInteger(number)) {
        throw new ConfigError(`${where}: must be a whole number, got ${JSON.stringify(value)}`);
      }
      // Out of the type's range: the rules of config.proto say what is allowed.
      if (number < 0 && field.scalar === ScalarType.UINT32) {
        throw new ConfigError(`${where}: must not be negative, got ${number}`);
      }
      if (Math.abs(number) > 2 ** 31 - 1) {
        throw new ConfigError(`${where}: ${number} is out of range`);
      }
      return number;
    }
    default:
      throw new ConfigError(`${where}: a setting of an unexpected type`);
  }
}

function sectionOf(field: DescField): DescMessage {
  if (field.fieldKind !== "message") {
    throw new Error(`config.proto: ${field.name} must be a message`);
  }
  return field.message;
}
