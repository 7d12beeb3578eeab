import { Option, type Command } from "commander";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { Code } from "../protocol/code.js";
import { connectNats, SettingsFileError } from "../transport/nats/connect-nats.js";
import { isAuthenticationFailure } from "../transport/nats/nats-errors.js";
import { resolveConnectionSettings, type ConnectionFlags } from "../transport/nats/connection-options.js";
import { RpcError } from "../protocol/rpc-error.js";
import { parseInteger } from "./parse-flags.js";

/** The connection flags as commander parses them. */
export interface ConnectionFlagValues {
  server?: string[];
  creds?: string;
  nkey?: string;
  user?: string;
  password?: string;
  token?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  context?: string;
  name?: string;
  maxReconnects?: number;
  reconnectWait?: number;
  connectTimeout?: number;
}

/**
 * Adds the connection flags every command shares (`--server`, `--creds`, ... ; see docs/cli.md).
 * They are global options of the program, so they may come before or after the command name.
 */
export function addConnectionFlags(command: Command): Command {
  const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
  return command
    .addOption(new Option("-s, --server <url>", "NATS server URL; repeat it or separate URLs with commas (env NATS_URL)").argParser(collect))
    .addOption(new Option("--creds <file>", "user credentials file (env NATS_CREDS)"))
    .addOption(new Option("--nkey <file>", "user nkey seed file (env NATS_NKEY)"))
    .addOption(new Option("--user <name>", "user name (env NATS_USER)"))
    .addOption(new Option("--password <secret>", "password (env NATS_PASSWORD)"))
    .addOption(new Option("--token <secret>", "authentication token (env NATS_TOKEN)"))
    .addOption(new Option("--tls-ca <file>", "CA certificate that signed the server's (env NATS_CA)"))
    .addOption(new Option("--tls-cert <file>", "client certificate (env NATS_CERT)"))
    .addOption(new Option("--tls-key <file>", "client certificate's private key (env NATS_KEY)"))
    .addOption(new Option("--context <name>", "NATS CLI context to read settings from (env NATS_CONTEXT)"))
    .addOption(new Option("--name <name>", "connection name the server shows"))
    .addOption(new Option("--max-reconnects <count>", "reconnect attempts after a lost connection, -1 for ever").argParser(parseInteger))
    .addOption(new Option("--reconnect-wait <ms>", "wait between reconnect attempts, in milliseconds").argParser(parseInteger))
    .addOption(new Option("--connect-timeout <ms>", "how long the first connect may take, in milliseconds").argParser(parseInteger));
}

/** The flags as {@link resolveConnectionSettings} takes them. */
export function connectionFlags(values: ConnectionFlagValues): ConnectionFlags {
  const flags: ConnectionFlags = {};
  const set = <Key extends keyof ConnectionFlags>(key: Key, value: ConnectionFlags[Key] | undefined) => {
    if (value !== undefined) {
      flags[key] = value;
    }
  };
  set("servers", values.server);
  set("creds", values.creds);
  set("nkey", values.nkey);
  set("user", values.user);
  set("password", values.password);
  set("token", values.token);
  set("tlsCa", values.tlsCa);
  set("tlsCert", values.tlsCert);
  set("tlsKey", values.tlsKey);
  set("context", values.context);
  set("name", values.name);
  set("maxReconnectAttempts", values.maxReconnects);
  set("reconnectTimeWaitMs", values.reconnectWait);
  set("connectTimeoutMs", values.connectTimeout);
  return flags;
}

/**
 * Connects with the flags (over the environment and the NATS CLI context). Every failure is an
 * `RpcError` whose code says what kind it is, so that the tool exits with a code to match:
 * `unauthenticated` for rejected credentials, `invalid_argument` for a setting naming a file that
 * cannot be read or a context that cannot be used, `unavailable` for the rest (refused, timed out, TLS).
 */
export async function connectWithFlags(values: ConnectionFlagValues, defaultName: string): Promise<NatsConnection> {
  const flags = connectionFlags(values);
  flags.name ??= defaultName;
  let settings;
  try {
    settings = resolveConnectionSettings(flags);
  } catch (error) {
    throw RpcError.from(error, Code.InvalidArgument);
  }
  try {
    return await connectNats(settings);
  } catch (error) {
    throw RpcError.from(error, connectFailureCode(error));
  }
}

function connectFailureCode(error: unknown): Code {
  if (error instanceof SettingsFileError) {
    return Code.InvalidArgument;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  return isAuthenticationFailure(cause) ? Code.Unauthenticated : Code.Unavailable;
}
