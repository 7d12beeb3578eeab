// The movies program's configuration and set-up as a user meets them: the YAML file, the
// environment and flags in that order of precedence; every bad value one line on standard error
// and exit code 2 before anything starts; `movies migrate` on a fresh database; and an engine
// whose database cannot be reached answering `unavailable`, never a crash or `internal`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli-process.js";
import { moviesProgram, startMoviesEngine, type MoviesProcess } from "../helpers/movies-app.js";
import { startNatsProcess } from "../helpers/nats-cluster.js";
import { createTestDatabase, sharedPostgres } from "../helpers/test-database.js";
import { ConfigError, loadConfig } from "../../examples/movies/src/movies-config.js";

let directory: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "movies-config-"));
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

// A configuration file of the test's own with this text.
function configFile(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

// The environment of the test, without settings of the movies programs that could leak in.
function cleanEnvironment(more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env).filter((key) => key.startsWith("MOVIES_") || key === "NATS_URL" || key === "NATS_CONTEXT")) {
    env[name] = "";
  }
  return { ...env, ...more };
}

const movies = (args: readonly string[], env: NodeJS.ProcessEnv = {}) => runCli(moviesProgram, args, { env: cleanEnvironment(env) });

test("--help lists every setting with its environment variable and default", async () => {
  const help = await movies(["--help"]);
  expect(help.exitCode).toBe(0);
  for (const [key, variable] of [
    ["nats.servers", "NATS_URL"],
    ["database.url", "MOVIES_DATABASE_URL"],
    ["gateway.port", "MOVIES_GATEWAY_PORT"],
    ["gateway.workers", "MOVIES_GATEWAY_WORKERS"],
    ["engine.workers", "MOVIES_ENGINE_WORKERS"],
    ["engine.job_concurrency", "MOVIES_ENGINE_JOB_CONCURRENCY"],
    ["engine.downloads_dir", "MOVIES_ENGINE_DOWNLOADS_DIR"],
    ["mirror.port", "MOVIES_MIRROR_PORT"],
  ]) {
    expect(help.stdout).toContain(key);
    expect(help.stdout).toContain(variable);
  }
  expect(help.stdout).toContain("default postgres://postgres@127.0.0.1:5432/movies");
});

// The layers, read as every command reads them (movies-config.ts); the program's own handling of
// them (the one line, exit code 2, nothing started) is checked on real processes below.
function configFrom(options: { file?: string; env?: NodeJS.ProcessEnv; flags?: Record<string, string | string[]> }) {
  const flags = new Map(Object.entries(options.flags ?? {}).map(([key, value]) => [key, { value, flag: `--${key.split(".")[1]!.replaceAll("_", "-")}` }]));
  return loadConfig({ file: options.file, env: cleanEnvironment(options.env), flags });
}

test("the file wins over the defaults, the environment over the file, flags over the environment", async () => {
  const file = configFile("layers.yaml", "gateway:\n  port: 1111\n  workers: 3\nengine:\n  job_concurrency: 4\nnats:\n  servers: [nats://127.0.0.1:4999]\n");
  expect(configFrom({})).toMatchObject({ gateway: { host: "127.0.0.1", port: 8080, workers: 1 }, engine: { jobConcurrency: 8 }, nats: { servers: [] } });
  expect(configFrom({ file })).toMatchObject({ gateway: { host: "127.0.0.1", port: 1111, workers: 3 }, engine: { jobConcurrency: 4 }, nats: { servers: ["nats://127.0.0.1:4999"] } });
  const environment = { MOVIES_GATEWAY_PORT: "2222", NATS_URL: "nats://127.0.0.1:4888,nats://127.0.0.1:4889" };
  expect(configFrom({ file, env: environment })).toMatchObject({ gateway: { port: 2222, workers: 3 }, nats: { servers: ["nats://127.0.0.1:4888", "nats://127.0.0.1:4889"] } });
  expect(configFrom({ file, env: environment, flags: { "gateway.port": "3333" } })).toMatchObject({ gateway: { port: 3333, workers: 3 } });
  // A value overridden is never checked: only the one in effect is.
  expect(configFrom({ file: configFile("bad-port.yaml", "gateway:\n  port: 99999\n"), env: { MOVIES_GATEWAY_PORT: "8081" } }).gateway?.port).toBe(8081);
  // The program: MOVIES_CONFIG names the file as --config does, and `movies config` prints what is in effect.
  const printed = await movies(["config"], { MOVIES_CONFIG: file, MOVIES_GATEWAY_PORT: "2222" });
  expect(printed.exitCode).toBe(0);
  expect(printed.stdout).toMatch(/gateway:\n {2}host: 127\.0\.0\.1\n {2}port: 2222\n {2}workers: 3/);
});

test.each([
  ["a port out of range in the file", "gateway:\n  port: 65536\n", {}, {}, /^invalid configuration: gateway\.port \(.*\.yaml\): must be less than or equal to 65535$/],
  ["an unknown key", "gateway:\n  prot: 8080\n", {}, {}, /^.*\.yaml: unknown key "gateway\.prot" \(the keys of gateway are host, port, workers\)$/],
  ["an unknown section", "engines:\n  workers: 2\n", {}, {}, /^.*\.yaml: unknown section "engines" \(the sections are nats, database, gateway, engine, mirror\)$/],
  ["a value of the wrong type", "engine:\n  workers: two\n", {}, {}, /^engine\.workers \(.*\.yaml\): must be a whole number, got "two"$/],
  ["a list where a number goes", "gateway:\n  port: [1, 2]\n", {}, {}, /^gateway\.port \(.*\.yaml\): must be a whole number, got \[1,2\]$/],
  ["a database URL that is not postgres", "database:\n  url: mysql://127.0.0.1/movies\n", {}, {}, /^invalid configuration: database\.url \(.*\.yaml\): must be a postgres:\/\/ or postgresql:\/\/ URL$/],
  ["a NATS server that is no URL", "", { "nats.servers": ["127.0.0.1:4222"] }, {}, /^invalid configuration: nats\.servers\[0\] \(--servers\): .+$/],
  ["too many workers in the environment", "", {}, { MOVIES_GATEWAY_WORKERS: "1000" }, /^invalid configuration: gateway\.workers \(MOVIES_GATEWAY_WORKERS\): must be greater than or equal to 1 and less than or equal to 64$/],
  ["a negative port", "", { "gateway.port": "-1" }, {}, /^gateway\.port \(--port\): must not be negative, got -1$/],
  ["an empty downloads directory", "engine:\n  downloads_dir: ''\n", {}, {}, /^engine\.downloads_dir \(.*\.yaml\): must be a non-empty string, got ""$/],
  ["YAML that does not parse", "gateway: [port: 1\n", {}, {}, /^.*\.yaml: not valid YAML at line \d+: .+$/],
  ["a file that is not a mapping", "- 1\n- 2\n", {}, {}, /^.*\.yaml: the file must be a mapping of keys to values$/],
])("%s is refused with one line naming the setting and where it came from", (name, text, flags, env, line) => {
  const file = configFile(`${name.replaceAll(/[^a-z]/g, "-")}.yaml`, text);
  expect(() => configFrom({ file, flags, env })).toThrow(ConfigError);
  expect(() => configFrom({ file, flags, env })).toThrow(line);
});

test.each([
  ["a flag", ["gateway", "--port", "70000"], {}, "error: invalid configuration: gateway.port (--port): must be less than or equal to 65535"],
  ["the environment", ["engine", "serve", "--jobs"], { MOVIES_ENGINE_WORKERS: "0" }, "error: invalid configuration: engine.workers (MOVIES_ENGINE_WORKERS): must be greater than or equal to 1 and less than or equal to 64"],
  ["the file", ["--config", "FILE", "mirror"], {}, 'error: FILE: unknown key "mirror.prot" (the keys of mirror are host, port)'],
])("a bad value from %s stops the program before anything starts: one line, exit code 2", async (_name, args, env, line) => {
  const file = configFile("bad-key.yaml", "mirror:\n  prot: 1\n");
  const result = await movies(
    args.map((arg) => (arg === "FILE" ? file : arg)),
    env,
  );
  expect(result.exitCode).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toBe(`${line.replace("FILE", file)}\n`);
});

test("a configuration file that does not exist is one line and exit code 2", async () => {
  const result = await movies(["--config", join(directory, "missing.yaml"), "engine", "serve"]);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toBe(`error: cannot read the configuration file ${join(directory, "missing.yaml")}: no such file\n`);
});

test("movies migrate creates a missing database, applies the migrations once, and undoes them", async () => {
  // A name no other test uses; created by migrate itself, dropped by the helper's drop().
  const scratch = await createTestDatabase("movies_migrate");
  await scratch.drop();
  const url = scratch.url;
  try {
    const without = await movies(["migrate", "--database-url", url]);
    expect(without.exitCode).toBe(78);
    expect(without.stderr).toMatch(/^error: unavailable: database: the database does not exist \(run `movies migrate`\)/);
    const created = await movies(["migrate", "--create-database", "--database-url", url]);
    expect(created.exitCode).toBe(0);
    expect(created.stdout).toBe(`created database ${scratch.name}\napplied 1764320000000_create-movies\napplied 1764330000000_index-unfinished-downloads\n`);
    const again = await movies(["migrate", "--create-database"], { MOVIES_DATABASE_URL: url });
    expect(again.stdout).toBe(`database ${scratch.name}: every migration is applied\n`);
    expect(await scratch.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'movies' AND column_name = 'version'")).toHaveLength(1);
    // One migration at a time, the last first.
    const undoneIndex = await movies(["migrate", "down", "--database-url", url]);
    expect(undoneIndex.stdout).toBe("undid 1764330000000_index-unfinished-downloads\n");
    expect(await scratch.query("SELECT indexname FROM pg_indexes WHERE indexname = 'movies_unfinished'")).toEqual([]);
    const undone = await movies(["migrate", "down", "--database-url", url]);
    expect(undone.stdout).toBe("undid 1764320000000_create-movies\n");
    expect(await scratch.query("SELECT table_name FROM information_schema.tables WHERE table_name = 'movies'")).toEqual([]);
  } finally {
    await scratch.drop();
  }
}, 30_000);

test("an engine whose database cannot be reached answers unavailable, and keeps serving", async () => {
  const server = await startNatsProcess({ name: "movies-config" });
  let engine: MoviesProcess | undefined;
  try {
    // A port where no PostgreSQL listens: every connection is refused.
    const unreachable = `postgres://postgres@${sharedPostgres.host}:1/movies`;
    engine = await startMoviesEngine({ natsUrl: server.url, databaseUrl: unreachable, downloadsDir: directory, jobs: false });
    const listed = await runCli(moviesProgram, ["engine", "call", "ListMovies", "{}", "--server", server.url]);
    expect(listed.exitCode).toBe(78);
    expect(listed.stderr).toMatch(/^error: unavailable: database unavailable: .*ECONNREFUSED.*\n$/);
    const created = await runCli(moviesProgram, ["engine", "call", "CreateMovie", '{"title": "a", "source_url": "http://127.0.0.1/a"}', "--server", server.url]);
    expect(created.exitCode).toBe(78);
    expect(created.stderr).toMatch(/^error: unavailable: database unavailable: /);
    expect(engine.cli.child.exitCode).toBeNull();
    expect(await engine.stop()).toBe(0);
  } finally {
    await engine?.cli.kill();
    await server.stop();
  }
}, 60_000);
