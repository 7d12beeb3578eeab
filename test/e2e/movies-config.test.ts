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

test("the file wins over the defaults, the environment over the file, flags over the environment", async () => {
  const file = configFile("layers.yaml", "gateway:\n  port: 1111\n  workers: 3\nengine:\n  job_concurrency: 4\nnats:\n  servers: [nats://127.0.0.1:4999]\n");
  const fromFile = await movies(["--config", file, "config"]);
  expect(fromFile.exitCode).toBe(0);
  expect(fromFile.stdout).toMatch(/gateway:\n {2}host: 127\.0\.0\.1\n {2}port: 1111\n {2}workers: 3/);
  expect(fromFile.stdout).toMatch(/job_concurrency: 4/);
  // MOVIES_CONFIG names the file as --config does; the environment then wins over it.
  const fromEnvironment = await movies(["config"], { MOVIES_CONFIG: file, MOVIES_GATEWAY_PORT: "2222", NATS_URL: "nats://127.0.0.1:4888" });
  expect(fromEnvironment.stdout).toMatch(/port: 2222\n {2}workers: 3/);
  expect(fromEnvironment.stdout).toContain("nats://127.0.0.1:4888");
  expect(fromEnvironment.stdout).not.toContain("4999");
  // A flag wins over both: its bad value is the one refused, and named.
  const fromFlag = await movies(["gateway", "--port", "70000"], { MOVIES_CONFIG: file, MOVIES_GATEWAY_PORT: "2222" });
  expect(fromFlag.stderr).toBe("error: invalid configuration: gateway.port (--port): must be less than or equal to 65535\n");
  // An environment value over a bad file value: the file's is never used.
  const overridden = await movies(["config"], { MOVIES_CONFIG: configFile("bad-port.yaml", "gateway:\n  port: 99999\n"), MOVIES_GATEWAY_PORT: "8081" });
  expect(overridden.exitCode).toBe(0);
  expect(overridden.stdout).toMatch(/port: 8081/);
});

test.each([
  ["a port out of range in the file", "gateway:\n  port: 65536\n", [], {}, /^error: invalid configuration: gateway\.port \(.*\.yaml\): must be less than or equal to 65535$/],
  ["an unknown key", "gateway:\n  prot: 8080\n", [], {}, /^error: .*\.yaml: unknown key "gateway\.prot" \(the keys of gateway are host, port, workers\)$/],
  ["an unknown section", "engines:\n  workers: 2\n", [], {}, /^error: .*\.yaml: unknown section "engines" \(the sections are nats, database, gateway, engine, mirror\)$/],
  ["a value of the wrong type", "engine:\n  workers: two\n", [], {}, /^error: engine\.workers \(.*\.yaml\): must be a whole number, got "two"$/],
  ["a list where a number goes", "gateway:\n  port: [1, 2]\n", [], {}, /^error: gateway\.port \(.*\.yaml\): must be a whole number, got \[1,2\]$/],
  ["a database URL that is not postgres", "database:\n  url: mysql://127.0.0.1/movies\n", [], {}, /^error: invalid configuration: database\.url \(.*\.yaml\): must be a postgres:\/\/ or postgresql:\/\/ URL$/],
  ["a NATS server that is no URL", "", ["--server", "127.0.0.1:4222"], {}, /^error: invalid configuration: nats\.servers\[0\] \(--server\): .*$/],
  ["too many workers in the environment", "", [], { MOVIES_GATEWAY_WORKERS: "1000" }, /^error: invalid configuration: gateway\.workers \(MOVIES_GATEWAY_WORKERS\): must be greater than or equal to 1 and less than or equal to 64$/],
  ["a negative port", "", ["--port", "-1"], {}, /^error: gateway\.port \(--port\): must not be negative, got -1$/],
  ["YAML that does not parse", "gateway: [port: 1\n", [], {}, /^error: .*\.yaml: not valid YAML at line \d+: .+$/],
  ["a file that is not a mapping", "- 1\n- 2\n", [], {}, /^error: .*\.yaml: the file must be a mapping of keys to values$/],
])("%s is one line on standard error and exit code 2, before anything starts", async (name, text, flags, env, line) => {
  const file = configFile(`${name.replaceAll(/[^a-z]/g, "-")}.yaml`, text);
  const result = await movies(["--config", file, "gateway", ...flags], env);
  expect(result.exitCode).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.split("\n")).toEqual([expect.stringMatching(line), ""]);
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
    expect(created.stdout).toBe(`created database ${scratch.name}\napplied 1764320000000_create-movies\n`);
    const again = await movies(["migrate", "--create-database"], { MOVIES_DATABASE_URL: url });
    expect(again.stdout).toBe(`database ${scratch.name}: every migration is applied\n`);
    expect(await scratch.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'movies' AND column_name = 'version'")).toHaveLength(1);
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
    for (let round = 0; round < 2; round++) {
      const call = await runCli(moviesProgram, ["engine", "call", "ListMovies", "{}", "--server", server.url]);
      expect(call.exitCode).toBe(78);
      expect(call.stderr).toMatch(/^error: unavailable: database unavailable: .*ECONNREFUSED.*\n$/);
    }
    const created = await runCli(moviesProgram, ["engine", "call", "CreateMovie", '{"title": "a", "source_url": "http://127.0.0.1/a"}', "--server", server.url]);
    expect(created.exitCode).toBe(78);
    expect(engine.cli.child.exitCode).toBeNull();
    expect(await engine.stop()).toBe(0);
  } finally {
    await engine?.cli.kill();
    await server.stop();
  }
}, 30_000);
