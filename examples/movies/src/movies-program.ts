import { readFileSync } from "node:fs";
import { Code, RpcError } from "nats-micro-runtime";
import { describeFailure, exitCodeOf, ExitCode, type HandlersLifetime } from "nats-micro-runtime/cli";
import { stringify as toYaml } from "yaml";
import type { Config } from "./gen/movies/v1/config_pb.js";
import { ConfigError, configFileVariable, loadConfig, settings } from "./movies-config.js";

// Each command loads what it needs only (the engine pg and JetStream, migrate node-pg-migrate):
// the program starts faster, and a bad configuration is reported before any of it loads.
const generatedPrograms = () => import("./gen/movies/v1/movies_cli.js");

/** A flag of the movies program that sets a setting, and the commands that take it. */
interface SettingFlag {
  readonly flag: string;
  readonly key: string;
  readonly commands: readonly string[];
}

const engineCommands = ["engine serve", "downloads serve"];
const natsCommands = ["gateway", "engine", "engine serve", "downloads", "downloads serve"];

const settingFlags: readonly SettingFlag[] = [
  { flag: "--server", key: "nats.servers", commands: natsCommands },
  { flag: "--context", key: "nats.context", commands: natsCommands },
  { flag: "--database-url", key: "database.url", commands: [...engineCommands, "migrate"] },
  { flag: "--pool-size", key: "database.pool_size", commands: engineCommands },
  { flag: "--host", key: "gateway.host", commands: ["gateway"] },
  { flag: "--port", key: "gateway.port", commands: ["gateway"] },
  { flag: "--workers", key: "gateway.workers", commands: ["gateway"] },
  { flag: "--workers", key: "engine.workers", commands: engineCommands },
  { flag: "--job-concurrency", key: "engine.job_concurrency", commands: engineCommands },
  { flag: "--downloads-dir", key: "engine.downloads_dir", commands: engineCommands },
  { flag: "--host", key: "mirror.host", commands: ["mirror"] },
  { flag: "--port", key: "mirror.port", commands: ["mirror"] },
];

const usage = `Usage: movies [--config FILE] <command> [flags]

The movies service: a REST API (the gateway) over an engine on NATS that keeps the catalogue in
PostgreSQL and downloads each movie's file as a durable job.

Commands:
  gateway [--host H] [--port P] [--workers N]        serve the REST API (more flags: movies gateway --help)
  engine serve [--workers N] [--jobs] [--job-concurrency N] [--downloads-dir DIR] [--database-url URL]
                                                     run the engine: the Movies service and, with --jobs,
                                                     the downloads (more flags: movies engine serve --help)
  engine call|ping|info|stats ...                    call and watch the Movies service over NATS
  downloads jobs ls|status|dead ls|dead retry ...    the download jobs, their dead letters (movies downloads --help)
  downloads serve --jobs [engine serve's flags]      run downloads only, on processes of their own
  migrate [up|down] [--create-database] [--database-url URL]
                                                     apply (or undo the last of) the database migrations
  mirror [--host H] [--port P]                       a local file server to download from (GET /files/NAME?size=BYTES)
  config                                             print the configuration in effect (YAML)

Every command reads its settings from the defaults, then the YAML file of --config (or
${configFileVariable}), then the environment, then its flags: each wins over the ones before.`;

/** The `movies --help` text: the commands and every setting with its variable, flags and default. */
export function helpText(): string {
  const width = Math.max(...settings.map((setting) => setting.key.length)) + 2;
  const lines = settings.map((setting) => {
    const flags = settingFlags.filter((flag) => flag.key === setting.key).map((flag) => `${flag.flag} (${flag.commands === natsCommands ? "gateway, engine, downloads" : flag.commands.join(", ")})`);
    const fallback = setting.defaultValue === undefined ? "" : `; default ${Array.isArray(setting.defaultValue) ? setting.defaultValue.join(",") : String(setting.defaultValue)}`;
    return `  ${setting.key.padEnd(width)}${setting.description}\n  ${"".padEnd(width)}${[setting.env, ...flags].join(", ")}${fallback}`;
  });
  return `${usage}\n\nSettings (the file's keys):\n${lines.join("\n")}\n\nAn example file: movies.yaml in examples/movies.\n`;
}

// The tokens of a command line split into the settings its flags set and the rest, in order.
interface ScannedFlags {
  readonly file: string | undefined;
  readonly values: Map<string, { value: string | string[]; flag: string }>;
  readonly rest: string[];
  readonly help: boolean;
}

// Takes the flags of `command` (and --config) out of `tokens`; the others stay, for the
// generated program to read (or refuse).
function scanFlags(tokens: readonly string[], command: string): ScannedFlags {
  const values = new Map<string, { value: string | string[]; flag: string }>();
  const rest: string[] = [];
  let file: string | undefined;
  let help = false;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token === "--") {
      rest.push(...tokens.slice(index));
      break;
    }
    if (token === "--help" || token === "-h") {
      help = true;
    }
    const [name, inline] = token.startsWith("--") && token.includes("=") ? [token.slice(0, token.indexOf("=")), token.slice(token.indexOf("=") + 1)] : [token, undefined];
    const setting = settingFlags.find((flag) => flag.flag === name && flag.commands.includes(command));
    if (name !== "--config" && setting === undefined) {
      rest.push(token);
      continue;
    }
    const value = inline ?? tokens[++index];
    if (value === undefined) {
      throw new ConfigError(`${name} needs a value`);
    }
    if (name === "--config") {
      file = value;
    } else if (setting!.key === "nats.servers") {
      const previous = values.get(setting!.key)?.value;
      values.set(setting!.key, { value: [...(Array.isArray(previous) ? previous : []), ...value.split(",")], flag: name });
    } else {
      values.set(setting!.key, { value, flag: name });
    }
  }
  return { file, values, rest, help };
}

// The configuration of a command line: its flags over the environment over the file.
function configOf(scanned: ScannedFlags): Config {
  return loadConfig({ file: scanned.file ?? (process.env[configFileVariable] || undefined), env: process.env, flags: scanned.values });
}

// The connection flags of the generated programs, from the configuration.
function natsArgs(config: Config): string[] {
  const nats = config.nats!;
  return [...(nats.servers.length > 0 ? ["--server", nats.servers.join(",")] : []), ...(nats.context === "" ? [] : ["--context", nats.context])];
}

// The generated program's argv: node and script as process.argv has them, then the arguments.
const argvOf = (args: readonly string[]) => [process.argv[0]!, process.argv[1]!, ...args];

/**
 * Runs the `movies` program: `gateway`, `engine`, `downloads` (the generated programs of the two
 * services, their settings from the configuration), `migrate`, `mirror` and `config`. Sets
 * `process.exitCode`; failures print one line on standard error.
 */
export async function runMoviesProgram(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await dispatch(argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = ExitCode.Usage;
      return;
    }
    process.stderr.write(`error: ${describeFailure(error)}\n`);
    process.exitCode = exitCodeOf(error);
  }
}

async function dispatch(tokens: readonly string[]): Promise<void> {
  // Only --config may come before the command.
  let start = 0;
  while (tokens[start] === "--config" || tokens[start]?.startsWith("--config=")) {
    start += tokens[start] === "--config" ? 2 : 1;
  }
  const command = tokens[start];
  const global = tokens.slice(0, start);
  const after = tokens.slice(start + 1);
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(helpText());
      return;
    case "gateway":
      return gateway([...global, ...after]);
    case "engine":
    case "downloads":
      return serviceProgram(command, [...global, ...after]);
    case "migrate":
      return migrate([...global, ...after]);
    case "mirror":
      return mirror([...global, ...after]);
    case "config":
      return printConfig([...global, ...after]);
    default:
      process.stderr.write(`error: unknown command "${command}"\n\n${usage}\n`);
      process.exitCode = ExitCode.Usage;
  }
}

async function gateway(tokens: readonly string[]): Promise<void> {
  const scanned = scanFlags(tokens, "gateway");
  if (scanned.help) {
    process.stdout.write("movies gateway: --host, --port and --workers set gateway.host, gateway.port and gateway.workers (movies --help); the rest:\n\n");
    return (await generatedPrograms()).runMoviesCli(argvOf(["gateway", "--help"]), { programName: "movies" });
  }
  const config = configOf(scanned);
  const [{ runMoviesCli }, { moviesGatewayOptions }] = await Promise.all([generatedPrograms(), import("./movies-gateway.js")]);
  const { host, port, workers } = config.gateway!;
  const openApi: unknown = JSON.parse(readFileSync(new URL("../src/gen/movies/v1/movies.openapi.json", import.meta.url), "utf8"));
  await runMoviesCli(argvOf(["gateway", "--listen", `${host.includes(":") ? `[${host}]` : host}:${port}`, "--workers", String(workers), ...natsArgs(config), ...scanned.rest]), {
    programName: "movies",
    gateway: moviesGatewayOptions(openApi),
  });
}

// `movies engine ...` is the Movies service's generated program, `movies downloads ...` the
// Downloads service's; their `serve` runs the engine of this configuration.
async function serviceProgram(which: "engine" | "downloads", tokens: readonly string[]): Promise<void> {
  // The first word once the flags (and their values) are set apart: `serve`, `call`, `jobs` ...
  const subcommand = scanFlags(tokens, which).rest.find((token) => !token.startsWith("-"));
  const serving = subcommand === "serve";
  const scanned = scanFlags(tokens, serving ? `${which} serve` : which);
  const programName = `movies ${which}`;
  const { runDownloadsCli, runMoviesCli } = await generatedPrograms();
  if (scanned.help) {
    return which === "engine" ? runMoviesCli(argvOf(scanned.rest), { programName }) : runDownloadsCli(argvOf(scanned.rest), { programName });
  }
  const config = configOf(scanned);
  const [{ alsoServe }, { createValidationInterceptor }, { openEngine }, { Downloads }] = await Promise.all([
    import("nats-micro-runtime/cli"),
    import("nats-micro-runtime/validation"),
    import("./engine-handlers.js"),
    import("./gen/movies/v1/movies_pb.js"),
  ]);
  const engine = config.engine!;
  const serveArgs = serving ? ["--workers", String(engine.workers), "--job-concurrency", String(engine.jobConcurrency)] : [];
  // The flags the configuration sets first, so that the generated program's own come after.
  const rest = [...scanned.rest];
  if (serving) {
    rest.splice(rest.indexOf("serve"), 1);
  }
  const args = serving ? ["serve", ...serveArgs, ...natsArgs(config), ...rest] : [...rest, ...natsArgs(config)];
  if (which === "engine") {
    await runMoviesCli(argvOf(args), {
      programName,
      handlers: (lifetime: HandlersLifetime) => openEngine(config, lifetime).movies,
      // The engine's download jobs, in the same processes: `engine serve --jobs` runs them.
      alsoServe: [
        alsoServe(Downloads, (lifetime) => openEngine(config, lifetime).downloads, {
          defaults: { description: "Downloads runs the download of each movie as a durable job, its id the movie's." },
          interceptors: [createValidationInterceptor()],
        }),
      ],
    });
  } else {
    await runDownloadsCli(argvOf(args), { programName, handlers: (lifetime: HandlersLifetime) => openEngine(config, lifetime).downloads });
  }
}

async function migrate(tokens: readonly string[]): Promise<void> {
  const scanned = scanFlags(tokens, "migrate");
  const rest = [...scanned.rest];
  const createDatabase = take(rest, "--create-database");
  const direction = rest[0] === "up" || rest[0] === "down" ? (rest.shift() as "up" | "down") : "up";
  if (scanned.help || rest.length > 0) {
    const help = "Usage: movies migrate [up|down] [--create-database] [--database-url URL]\n\nup (the default) applies every migration not applied yet; down undoes the last one.\n--create-database creates the database first when it is missing.\n";
    usageOrHelp(scanned.help, help, rest);
    return;
  }
  const config = configOf(scanned);
  const { createDatabaseIfMissing, migrateDatabase } = await import("./database-setup.js");
  const url = config.database!.url;
  const name = new URL(url).pathname.slice(1);
  if (createDatabase && (await createDatabaseIfMissing(url))) {
    process.stdout.write(`created database ${name}\n`);
  }
  const ran = await migrateDatabase(url, direction);
  for (const migration of ran) {
    process.stdout.write(`${direction === "up" ? "applied" : "undid"} ${migration}\n`);
  }
  if (ran.length === 0) {
    process.stdout.write(`database ${name}: ${direction === "up" ? "every migration is applied" : "no migration to undo"}\n`);
  }
}

async function mirror(tokens: readonly string[]): Promise<void> {
  const scanned = scanFlags(tokens, "mirror");
  if (scanned.help || scanned.rest.length > 0) {
    const help = "Usage: movies mirror [--host H] [--port P]\n\nServes GET /files/NAME?size=BYTES[&rate=BYTES_PER_SECOND][&fail=N|always]: deterministic bytes, slowly,\nor failing the first N requests of a URL (or all) with 503. Stops on SIGINT or SIGTERM.\n";
    usageOrHelp(scanned.help, help, scanned.rest);
    return;
  }
  const config = configOf(scanned);
  const [{ createLogger }, { startMirror }] = await Promise.all([import("nats-micro-runtime/cli"), import("./mirror-server.js")]);
  const logger = createLogger({ level: "info", service: "movies-mirror" });
  const running = await startMirror({ host: config.mirror!.host, port: config.mirror!.port }).catch((error: unknown) => {
    throw new RpcError(`the mirror cannot listen on ${config.mirror!.host}:${config.mirror!.port}: ${(error as Error).message}`, Code.Unavailable);
  });
  logger.info({ url: running.url }, "mirror serving");
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  logger.info({ reason: signal }, "stopping");
  await running.close();
  logger.info("stopped");
}

async function printConfig(tokens: readonly string[]): Promise<void> {
  const scanned = scanFlags(tokens, "config");
  if (scanned.rest.length > 0) {
    throw new ConfigError(`config takes only --config, not ${scanned.rest.join(" ")}`);
  }
  const config = configOf(scanned);
  process.stdout.write(
    toYaml({
      nats: { servers: config.nats!.servers, context: config.nats!.context },
      database: { url: config.database!.url, pool_size: config.database!.poolSize },
      gateway: { host: config.gateway!.host, port: config.gateway!.port, workers: config.gateway!.workers },
      engine: {
        workers: config.engine!.workers,
        job_concurrency: config.engine!.jobConcurrency,
        downloads_dir: config.engine!.downloadsDir,
        stranded_check_seconds: config.engine!.strandedCheckSeconds,
      },
      mirror: { host: config.mirror!.host, port: config.mirror!.port },
    }),
  );
}

// The help asked for (standard output, exit 0), or a usage error for what is left over (standard
// error, exit 2).
function usageOrHelp(asked: boolean, help: string, leftOver: readonly string[]): void {
  if (asked) {
    process.stdout.write(help);
  } else {
    process.stderr.write(`error: unexpected ${leftOver.join(" ")}\n\n${help}`);
    process.exitCode = ExitCode.Usage;
  }
}

// Removes a flag from the tokens and says whether it was there.
function take(tokens: string[], flag: string): boolean {
  const index = tokens.indexOf(flag);
  if (index >= 0) {
    tokens.splice(index, 1);
  }
  return index >= 0;
}
