import { readFileSync } from "node:fs";
import {
  AuthorizationError,
  ConnectionError,
  TimeoutError,
  UserAuthenticationExpiredError,
  type NatsConnection,
} from "@nats-io/nats-core";
import { connect, credsAuthenticator, nkeyAuthenticator, type NodeConnectionOptions } from "@nats-io/transport-node";
import { isNatsError } from "./nats-errors.js";
import type { ConnectionSettings } from "./connection-options.js";

/**
 * Opens a NATS connection from resolved {@link ConnectionSettings}. Files named in the settings
 * (creds, nkey seed, TLS certificates) are read first, so that a wrong path is reported as such.
 *
 * Every failure is an Error with one line a person can act on, such as
 * `cannot connect to nats://127.0.0.1:4999: connection refused` or
 * `authentication failed for user "bob" at nats://127.0.0.1:4222: wrong user or password`;
 * the original error is its `cause`. A command-line tool prints `error.message` and exits.
 *
 * @example
 * const nc = await connectNats(resolveConnectionSettings({ name: "calc" }));
 */
export async function connectNats(settings: ConnectionSettings): Promise<NatsConnection> {
  const options = connectionOptions(settings);
  try {
    return await connect(options);
  } catch (error) {
    throw new Error(describeConnectError(settings, error), { cause: error });
  }
}

/**
 * A file that the connection settings name (creds, nkey seed, TLS) cannot be read, or is not what
 * it should be: the settings are wrong, not the server. `connectNats` throws it before connecting.
 */
export class SettingsFileError extends Error {
  override name = "SettingsFileError";
}

// Turns settings into nats.js options, reading the files the settings name.
function connectionOptions(settings: ConnectionSettings): NodeConnectionOptions {
  // noAsyncTraces: nats.js otherwise captures a stack trace for every nc.request (discovery and
  // plain requests; generated clients do not use nc.request), which costs a good part of the
  // throughput of small requests. A command reports errors as one line, without stacks
  // (docs/benchmarks.md).
  const options: NodeConnectionOptions = { servers: settings.servers, noAsyncTraces: true };
  if (settings.name !== undefined) {
    options.name = settings.name;
  }
  if (settings.user !== undefined) {
    options.user = settings.user;
  }
  if (settings.password !== undefined) {
    options.pass = settings.password;
  }
  if (settings.token !== undefined) {
    options.token = settings.token;
  }
  if (settings.creds !== undefined) {
    options.authenticator = credsAuthenticator(checkedCreds(settings.creds));
  } else if (settings.nkey !== undefined) {
    options.authenticator = nkeyAuthenticator(nkeySeed(settings.nkey));
  }
  if (settings.tlsCa !== undefined || settings.tlsCert !== undefined || settings.tlsKey !== undefined) {
    const tls: NonNullable<NodeConnectionOptions["tls"]> = {};
    // nats.js reads these files itself; reading them here first turns a wrong path into a clear line.
    if (settings.tlsCa !== undefined) {
      readSettingFile("TLS CA file", settings.tlsCa);
      tls.caFile = settings.tlsCa;
    }
    if (settings.tlsCert !== undefined) {
      readSettingFile("TLS certificate file", settings.tlsCert);
      tls.certFile = settings.tlsCert;
    }
    if (settings.tlsKey !== undefined) {
      readSettingFile("TLS key file", settings.tlsKey);
      tls.keyFile = settings.tlsKey;
    }
    options.tls = tls;
  }
  if (settings.maxReconnectAttempts !== undefined) {
    options.maxReconnectAttempts = settings.maxReconnectAttempts;
  }
  if (settings.reconnectTimeWaitMs !== undefined) {
    options.reconnectTimeWait = settings.reconnectTimeWaitMs;
  }
  if (settings.connectTimeoutMs !== undefined) {
    options.timeout = settings.connectTimeoutMs;
  }
  return options;
}

// Reads a file named by a setting; a failure names the setting and the file.
function readSettingFile(what: string, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new SettingsFileError(`cannot read ${what} ${path}: ${reason}`, { cause: error });
  }
}

// The creds file's contents, checked here: nats.js reports a malformed one only as a plain Error.
function checkedCreds(path: string): Uint8Array {
  const creds = readSettingFile("creds file", path);
  const text = new TextDecoder().decode(creds);
  if (!/-{3,}BEGIN NATS USER JWT-{3,}/.test(text) || !/-{3,}BEGIN USER NKEY SEED-{3,}/.test(text)) {
    throw new SettingsFileError(`creds file ${path} is not a valid credentials file: it needs the user JWT and the nkey seed, as nsc writes them`);
  }
  return creds;
}

// An nkey seed file may hold comments or blank lines (nsc writes some); the seed is the line starting "S".
function nkeySeed(path: string): Uint8Array {
  const text = new TextDecoder().decode(readSettingFile("nkey seed file", path));
  const seed = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => /^S[A-Z2-7]{50,}$/.test(line));
  if (seed === undefined) {
    throw new SettingsFileError(`nkey seed file ${path} holds no nkey seed (a line starting with "S")`);
  }
  return new TextEncoder().encode(seed);
}

// One line for a failed connect, from nats.js v3's error classes.
function describeConnectError(settings: ConnectionSettings, error: unknown): string {
  const where = settings.servers.join(", ");
  const message = firstLine(error instanceof Error ? error.message : String(error));
  if (isNatsError(error, ConnectionError) && (error.cause as NodeJS.ErrnoException | undefined)?.code === "ECONNREFUSED") {
    return `cannot connect to ${where}: connection refused`;
  }
  if (isNatsError(error, TimeoutError)) {
    return `cannot connect to ${where}: timed out`;
  }
  if (isNatsError(error, UserAuthenticationExpiredError)) {
    return `authentication failed ${who(settings)}at ${where}: the credentials have expired`;
  }
  if (isNatsError(error, AuthorizationError)) {
    return `authentication failed ${who(settings)}at ${where}: ${authenticationHint(settings)}`;
  }
  // Node's TLS errors speak of certificates; say that it is TLS and which setting decides it.
  return /certificate/i.test(message)
    ? `cannot connect to ${where}: TLS: ${message} (check the TLS CA, certificate and key settings)`
    : `cannot connect to ${where}: ${message}`;
}

function who(settings: ConnectionSettings): string {
  if (settings.creds !== undefined) {
    return `with creds file ${settings.creds} `;
  }
  if (settings.nkey !== undefined) {
    return `with nkey seed file ${settings.nkey} `;
  }
  if (settings.user !== undefined) {
    return `for user ${JSON.stringify(settings.user)} `;
  }
  return "";
}

function authenticationHint(settings: ConnectionSettings): string {
  if (settings.creds !== undefined || settings.nkey !== undefined) {
    return "the server does not accept this identity";
  }
  if (settings.user !== undefined) {
    return "wrong user or password";
  }
  if (settings.token !== undefined) {
    return "wrong token";
  }
  return "the server requires credentials (--creds, --nkey, --user/--password or --token)";
}

// The first line of an error message, without the quotes and "Error [CODE]: " prefixes nats.js adds.
function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "")
    .trim()
    .replace(/^'(.*)'$/, "$1")
    .replace(/^Error(?: \[[A-Z_]+\])?: /, "");
}
