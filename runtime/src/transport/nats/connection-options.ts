import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";

/** The server used when neither a flag, an environment variable nor a context names one. */
export const defaultServer = "nats://127.0.0.1:4222";

/**
 * Everything needed to open a NATS connection, after flags, environment variables and the NATS
 * CLI context have been merged by {@link resolveConnectionSettings}. File settings are paths; the
 * files are read when connecting, so that a missing file is reported with its name.
 */
export interface ConnectionSettings {
  /** Server URLs; never empty (the default is {@link defaultServer}). */
  servers: string[];
  /** Path to a credentials file (user JWT and nkey seed), as written by `nsc`. */
  creds?: string;
  /** Path to a file holding a user nkey seed (`SU...`). */
  nkey?: string;
  user?: string;
  password?: string;
  token?: string;
  /** Path to the certificate authority (PEM) that signed the server's certificate. */
  tlsCa?: string;
  /** Path to the client certificate (PEM), for servers that verify clients. */
  tlsCert?: string;
  /** Path to the client certificate's private key (PEM). */
  tlsKey?: string;
  /** The NATS CLI context the settings were read from, if any. */
  context?: string;
  /** The connection name the server shows in its monitoring (`connz`). */
  name?: string;
  /** How often to try to reconnect after a connection is lost; -1 tries for ever. */
  maxReconnectAttempts?: number;
  /** How long to wait between reconnect attempts to the same server. */
  reconnectTimeWaitMs?: number;
  /** How long the first connection may take before it is given up. */
  connectTimeoutMs?: number;
}

/**
 * Connection settings given on the command line. Every field is optional: what is missing comes
 * from the environment, then from the NATS CLI context, then from the defaults.
 */
export type ConnectionFlags = Partial<ConnectionSettings>;

/** The fields of a NATS CLI context file (`~/.config/nats/context/NAME.json`) that apply here. */
interface ContextFile {
  url?: string;
  creds?: string;
  nkey?: string;
  user?: string;
  password?: string;
  token?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

// The NATS CLI's environment variables, by setting. NATS_CONTEXT selects the context itself.
const environmentNames = {
  creds: "NATS_CREDS",
  nkey: "NATS_NKEY",
  user: "NATS_USER",
  password: "NATS_PASSWORD",
  token: "NATS_TOKEN",
  tlsCa: "NATS_CA",
  tlsCert: "NATS_CERT",
  tlsKey: "NATS_KEY",
} as const;

// The context file's field names, by setting.
const contextFields = {
  creds: "creds",
  nkey: "nkey",
  user: "user",
  password: "password",
  token: "token",
  tlsCa: "ca",
  tlsCert: "cert",
  tlsKey: "key",
} as const satisfies Record<keyof typeof environmentNames, keyof ContextFile>;

/**
 * The directory the NATS CLI keeps its contexts in: `$XDG_CONFIG_HOME/nats/context`, or
 * `~/.config/nats/context` when XDG_CONFIG_HOME is not set.
 */
export function defaultContextDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = nonEmpty(env["XDG_CONFIG_HOME"]) ?? join(homedir(), ".config");
  return join(configHome, "nats", "context");
}

/**
 * Merges connection settings the way the NATS CLI does, each setting on its own:
 * command-line flags beat environment variables (NATS_URL, NATS_CREDS, ...), which beat the
 * selected NATS CLI context, which beats the defaults (`nats://127.0.0.1:4222`).
 *
 * The context is the one named by `flags.context`, else by NATS_CONTEXT, else the one selected
 * with `nats context select` (the `context.txt` next to the context directory); a name that is a
 * path ending in `.json` is read as that file. A named context that is missing or not valid JSON
 * throws an Error naming the file; no context at all is fine.
 *
 * @example
 * const settings = resolveConnectionSettings({ servers: ["nats://a:4222", "nats://b:4222"] });
 * const nc = await connectNats(settings);
 */
export function resolveConnectionSettings(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
  contextDirectory: string = defaultContextDirectory(env),
): ConnectionSettings {
  const contextName = nonEmpty(flags.context) ?? nonEmpty(env["NATS_CONTEXT"]) ?? selectedContext(contextDirectory);
  const context = contextName === undefined ? {} : readContext(contextName, contextDirectory);

  const servers =
    nonEmptyList(flags.servers?.flatMap(splitServers)) ??
    nonEmptyList(splitServers(env["NATS_URL"] ?? "")) ??
    nonEmptyList(splitServers(context.url ?? "")) ?? [defaultServer];

  const settings: ConnectionSettings = { servers };
  for (const key of Object.keys(environmentNames) as (keyof typeof environmentNames)[]) {
    const value = nonEmpty(flags[key]) ?? nonEmpty(env[environmentNames[key]]) ?? nonEmpty(context[contextFields[key]]);
    if (value !== undefined) {
      settings[key] = value;
    }
  }
  if (contextName !== undefined) {
    settings.context = contextName;
  }
  if (flags.name !== undefined) {
    settings.name = flags.name;
  }
  if (flags.maxReconnectAttempts !== undefined) {
    settings.maxReconnectAttempts = flags.maxReconnectAttempts;
  }
  if (flags.reconnectTimeWaitMs !== undefined) {
    settings.reconnectTimeWaitMs = flags.reconnectTimeWaitMs;
  }
  if (flags.connectTimeoutMs !== undefined) {
    settings.connectTimeoutMs = flags.connectTimeoutMs;
  }
  return settings;
}

// The context chosen with `nats context select`, if any: its name is the content of context.txt.
function selectedContext(contextDirectory: string): string | undefined {
  try {
    return nonEmpty(readFileSync(join(dirname(contextDirectory), "context.txt"), "utf8").trim());
  } catch {
    // No selected context is the common case, not an error.
    return undefined;
  }
}

// Reads and checks one context file; every failure names the file.
function readContext(name: string, contextDirectory: string): ContextFile {
  const file = isAbsolute(name) && name.endsWith(".json") ? name : join(contextDirectory, `${name}.json`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String((error as Error).message);
    throw new Error(`cannot read NATS context "${name}" from ${file}: ${reason}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`NATS context file ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`NATS context file ${file} must hold a JSON object`);
  }
  const record = parsed as Record<string, unknown>;
  const context: ContextFile = {};
  for (const field of ["url", "creds", "nkey", "user", "password", "token", "ca", "cert", "key"] as const) {
    const value = record[field];
    if (value === undefined || value === null) {
      continue;
    }
    if (typeof value !== "string") {
      throw new Error(`NATS context file ${file}: field "${field}" must be a string`);
    }
    context[field] = value;
  }
  return context;
}

// NATS_URL and the context's url hold comma-separated lists, as in the NATS CLI.
function splitServers(value: string): string[] {
  return value
    .split(",")
    .map((server) => server.trim())
    .filter((server) => server !== "");
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function nonEmptyList(values: string[] | undefined): string[] | undefined {
  return values === undefined || values.length === 0 ? undefined : values;
}
