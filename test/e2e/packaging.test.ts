// What a stranger gets from npm. Both packages are packed with `npm pack` (whose prepack builds them
// from clean) from a copy of their sources, then installed into a temporary project outside the
// workspace exactly as README.md's Install section says (the tarballs instead of the registry for our
// two packages), with its buf.yaml, buf.gen.yaml and tsconfig.json. A proto with proto options is
// generated, type-checked strictly, served on a nats-server of the test's own and called. Once with
// the versions the workspace pins (the newest tested) and once with the oldest the peer ranges allow.
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsServer } from "../helpers/nats-server.js";
import { rootDirectory } from "../helpers/paths.js";
import { runProcess, type ProcessResult } from "../helpers/run-process.js";

// npm installs from its cache when it can (--prefer-offline); the registry is asked for the rest.
const installTimeoutMs = 120_000;
const stepTimeoutMs = 60_000;

let directory: string;
const tarballs = { runtime: "", plugin: "" };
const packedFiles = { runtime: [] as string[], plugin: [] as string[] };
/** The stranger's projects by label, under way or done. */
const projects = new Map<string, Promise<void>>();

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { optional?: boolean }>>;
  readonly files?: readonly string[];
  readonly license?: string;
  readonly engines?: Readonly<Record<string, string>>;
}

async function readPackageJson(path: string): Promise<PackageJson> {
  return JSON.parse(await readFile(join(path, "package.json"), "utf8")) as PackageJson;
}

/**
 * The environment of a stranger's shell: none of the `npm_*` variables `npm test` sets (they would
 * point npm at the workspace), no NODE_OPTIONS from jest, and no node_modules/.bin of the workspace
 * on PATH, so that buf finds the temporary project's plugins and nothing else.
 */
function strangerEnvironment(projectDirectory?: string): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_cache", "npm_config_registry", "npm_config_userconfig"]);
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if ((name.toLowerCase().startsWith("npm_") && !keep.has(name.toLowerCase())) || name === "NODE_OPTIONS" || name === "INIT_CWD") {
      continue;
    }
    environment[name] = value;
  }
  const path = (process.env["PATH"] ?? "").split(":").filter((entry) => entry !== "" && !entry.includes("/node_modules/"));
  if (projectDirectory !== undefined) {
    path.unshift(join(projectDirectory, "node_modules", ".bin"));
  }
  environment["PATH"] = path.join(":");
  return environment;
}

/** Runs a command and fails with its output unless it exits with 0. */
async function run(command: string, args: readonly string[], cwd: string, timeoutMs = stepTimeoutMs, projectDirectory?: string): Promise<ProcessResult> {
  const result = await runProcess(command, args, { cwd, env: strangerEnvironment(projectDirectory), timeoutMs });
  if (result.exitCode !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${result.exitCode} in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** The fenced code blocks of one `## ` section of README.md, dedented, with their language. */
async function readmeBlocks(heading: string): Promise<{ language: string; code: string }[]> {
  const readme = await readFile(join(rootDirectory, "README.md"), "utf8");
  const start = readme.indexOf(`\n## ${heading}`);
  if (start < 0) {
    throw new Error(`README.md has no section "## ${heading}"`);
  }
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks: { language: string; code: string }[] = [];
  for (const match of section.matchAll(/^( *)```(\w*)\n([\s\S]*?)^\1```/gm)) {
    const indent = match[1]!.length;
    const code = match[3]!
      .split("\n")
      .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
      .join("\n");
    blocks.push({ language: match[2]!, code });
  }
  return blocks;
}

/** What README.md's Install section says to do. */
interface InstallInstructions {
  /** The `npm install ...` command lines, split into words. */
  readonly commands: readonly (readonly string[])[];
  /** buf.yaml, buf.gen.yaml and tsconfig.json by name: each block starts with a comment naming its file. */
  readonly files: Readonly<Record<string, string>>;
}

async function installInstructions(): Promise<InstallInstructions> {
  const commands: string[][] = [];
  const files: Record<string, string> = {};
  for (const { language, code } of await readmeBlocks("Install")) {
    if (language === "sh") {
      commands.push(...code.split("\n").filter((line) => line.startsWith("npm install ")).map((line) => line.trim().split(/\s+/)));
      continue;
    }
    const name = /^(?:#|\/\/) (\S+)\n/.exec(code)?.[1];
    if (name !== undefined) {
      files[name] = code;
    }
  }
  return { commands, files };
}

/** The package a file of the project is in (the innermost under node_modules), or "" for the project's own. */
function owningPackage(file: string): string {
  return [...file.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].pop()?.[1] ?? "";
}

/** The lowest version a `^x.y.z` range allows. */
function lowestVersion(range: string | undefined): string {
  const match = /^\^(\d+\.\d+\.\d+)$/.exec(range ?? "");
  if (match === null) {
    throw new Error(`expected a range like ^1.2.3, got ${range}`);
  }
  return match[1]!;
}

// Copies the packages' sources (what a clean clone has) next to a node_modules that links the
// workspace's installed packages, so that prepack's `tsc -b` runs there and not in the workspace,
// where other tests read runtime/dist while this one runs.
async function copySources(into: string): Promise<void> {
  await cp(join(rootDirectory, "tsconfig.json"), join(into, "tsconfig.json"));
  for (const name of ["runtime", "plugin"]) {
    await cp(join(rootDirectory, name), join(into, name), {
      recursive: true,
      filter: (source) => !/[/\\](dist|node_modules|tsconfig\.tsbuildinfo)$/.test(source),
    });
  }
  const modules = join(into, "node_modules");
  await mkdir(modules);
  for (const entry of await readdir(join(rootDirectory, "node_modules"))) {
    const source = join(rootDirectory, "node_modules", entry);
    // The workspace's own packages are links; the copy links its own runtime instead.
    if (!(await lstat(source)).isSymbolicLink()) {
      await symlink(source, join(modules, entry));
    }
  }
  await symlink("../runtime", join(modules, "nats-micro-runtime"));
}

async function pack(sourceDirectory: string, destination: string): Promise<{ filename: string; files: string[] }> {
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", destination], sourceDirectory, 120_000);
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  return { filename: join(destination, packed!.filename), files: packed!.files.map((file) => file.path).sort() };
}

describe("the packages", () => {
  test("the tarballs hold the built entry points, the plugin's bin and options proto, README and LICENSE, and no build state", () => {
    for (const files of [packedFiles.runtime, packedFiles.plugin]) {
      expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json", "dist/index.js", "dist/index.d.ts"]));
      expect(files.filter((file) => /tsbuildinfo|\.test\.|^test\//.test(file))).toEqual([]);
    }
    expect(packedFiles.runtime).toEqual(
      expect.arrayContaining(["dist/codegenv1/index.js", "dist/codegenv1/cli.js", "dist/cli/index.js", "dist/metrics/index.js", "dist/service/index.js"]),
    );
    expect(packedFiles.plugin).toEqual(expect.arrayContaining(["bin/protoc-gen-nats.js", "proto/nats/micro/v1/options.proto"]));
  });

  test("dependencies are ranges; @bufbuild/protobuf and the NATS client are the user's (peer dependencies)", async () => {
    const runtime = await readPackageJson(join(rootDirectory, "runtime"));
    const plugin = await readPackageJson(join(rootDirectory, "plugin"));
    for (const manifest of [runtime, plugin]) {
      expect(manifest.license).toBe("Apache-2.0");
      expect(manifest.engines?.["node"]).toBeDefined();
      for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
        // OpenTelemetry's 0.x packages (the OTLP exporter) take a range over their minor versions.
        expect(range).toMatch(name === "@opentelemetry/exporter-trace-otlp-http" ? /^>=0\.\d+\.\d+ <1$/ : /^\^/);
      }
    }
    expect(Object.keys(runtime.peerDependencies ?? {}).filter((name) => !name.startsWith("@opentelemetry/")).sort()).toEqual(["@bufbuild/protobuf", "@bufbuild/protovalidate", "@nats-io/jetstream", "@nats-io/kv", "@nats-io/nats-core", "@nats-io/transport-node"]);
    // protovalidate is needed only by programs that validate (nats-micro-runtime/validation).
    expect(runtime.peerDependenciesMeta?.["@bufbuild/protovalidate"]?.optional).toBe(true);
    expect(runtime.peerDependenciesMeta?.["@nats-io/transport-node"]?.optional).toBe(true);
    // JetStream and its key-value store only for durable jobs (nats-micro-runtime/jobs).
    expect(runtime.peerDependenciesMeta?.["@nats-io/jetstream"]?.optional).toBe(true);
    expect(runtime.peerDependenciesMeta?.["@nats-io/kv"]?.optional).toBe(true);
    // Tracing's packages are needed only by programs that trace (nats-micro-runtime/tracing, serve --trace).
    for (const name of Object.keys(runtime.peerDependencies ?? {}).filter((name) => name.startsWith("@opentelemetry/"))) {
      expect(runtime.peerDependenciesMeta?.[name]?.optional).toBe(true);
    }
    expect(plugin.dependencies?.["nats-micro-runtime"]).toBe(`^${runtime.version}`);
    expect(plugin.peerDependencies?.["@bufbuild/protobuf"]).toBe(runtime.peerDependencies?.["@bufbuild/protobuf"]);
  });
});

/** The versions of the packages the README's npm lines install without one. */
type Versions = Readonly<Record<string, string>>;

async function workspaceVersions(): Promise<Versions> {
  return { ...(await readPackageJson(rootDirectory)).devDependencies };
}

async function oldestVersions(): Promise<Versions> {
  const peers = (await readPackageJson(join(rootDirectory, "runtime"))).peerDependencies ?? {};
  const protobuf = lowestVersion(peers["@bufbuild/protobuf"]);
  return {
    ...(await workspaceVersions()),
    "@bufbuild/protobuf": protobuf,
    // protoc-gen-es generates for the @bufbuild/protobuf of its own version (a peer dependency).
    "@bufbuild/protoc-gen-es": protobuf,
    "@nats-io/nats-core": lowestVersion(peers["@nats-io/nats-core"]),
    "@nats-io/transport-node": lowestVersion(peers["@nats-io/transport-node"]),
  };
}

// A service that uses proto options: the ADR-32 name and version, a timeout and a method's subject.
const greetProto = `syntax = "proto3";
package greet.v1;

import "nats/micro/v1/options.proto";

// Greeter says hello.
service Greeter {
  option (nats.micro.v1.service) = { name: "greeter" version: "1.2.3" timeout: { seconds: 2 } };
  // Greet answers with a greeting.
  rpc Greet(GreetRequest) returns (GreetResponse) {
    option (nats.micro.v1.method) = { subject: "hello" };
  }
}
message GreetRequest { string name = 1; }
message GreetResponse { string greeting = 1; }
`;

// Serves the service, calls it through the generated client (a greeting and an error), then on the
// option's subject with JSON as another program would, and reads $SRV.INFO; prints what it saw.
const mainProgram = `import { headers } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { Code, RpcError } from "nats-micro-runtime";
import { GreeterClient, serveGreeter, type GreeterHandlers } from "./gen/greet/v1/greet_nats.js";

const handlers: GreeterHandlers = {
  async greet(request, context) {
    if (request.name === "") {
      throw new RpcError("name must not be empty", Code.InvalidArgument);
    }
    return { greeting: \`Hello, \${request.name}! (\${context.timeoutMs() ?? "no"} ms left)\` };
  },
};

const nc = await connect({ servers: process.argv[2] ?? "" });
const host = await serveGreeter(nc, handlers);
const greeter = new GreeterClient(nc);
const reply = await greeter.greet({ name: "stranger" });
const failure = await greeter.greet({ name: "" }).then(
  () => "no error",
  (error: unknown) => (error instanceof RpcError ? error.code : String(error)),
);
const jsonHeaders = headers();
jsonHeaders.set("Content-Type", "application/json");
const raw = await nc.request("greet.v1.Greeter.hello", JSON.stringify({ name: "raw" }), { headers: jsonHeaders, timeout: 2000 });
const info = await nc.request("$SRV.INFO.greeter", "", { timeout: 2000 });
const { name, version } = info.json<{ name: string; version: string }>();
console.log(JSON.stringify({ greeting: reply.greeting, failure, raw: raw.json<unknown>(), name, version }));
await host.stop();
await nc.close();
`;

// Every public entry point of both packages, so that the check without skipLibCheck reads all
// their declarations.
const entriesProgram = `import type * as runtime from "nats-micro-runtime";
import type * as codegen from "nats-micro-runtime/codegenv1";
import type * as codegenCli from "nats-micro-runtime/codegenv1/cli";
import type * as legacyCodegen from "nats-micro-runtime/codegen";
import type * as cli from "nats-micro-runtime/cli";
import type * as metrics from "nats-micro-runtime/metrics";
import type * as service from "nats-micro-runtime/service";
import type * as plugin from "protoc-gen-nats";

export type Entries = [typeof runtime, typeof codegen, typeof codegenCli, typeof legacyCodegen, typeof cli, typeof metrics, typeof service, typeof plugin];
`;

// Lists, on stderr, every file module that a program loads.
const loadedModulesHook = `import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith("file:")) process.stderr.write("loaded " + result.url + "\\\\n");
  return result;
}\`));
`;

/**
 * A project outside the workspace, installed, generated, type-checked and run as the README says,
 * with `versions` for the packages the README names without one.
 */
async function strangersProject(label: string, versions: Versions): Promise<void> {
  const project = await mkdtemp(join(directory, `${label}-`));
  const { commands, files } = await installInstructions();
  expect(commands.length).toBeGreaterThan(0);
  expect(Object.keys(files).sort()).toEqual(["buf.gen.yaml", "buf.yaml", "tsconfig.json"]);

  await writeFile(join(project, "package.json"), JSON.stringify({ name: `stranger-${label}`, private: true, type: "module" }, null, 2));
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(project, name), content);
  }
  for (const [command, subcommand, ...words] of commands) {
    const args = words.map((word) => {
      if (word.startsWith("-")) {
        return word;
      }
      if (word === "nats-micro-runtime") {
        return tarballs.runtime;
      }
      if (word === "protoc-gen-nats") {
        return tarballs.plugin;
      }
      const version = versions[word];
      if (version === undefined) {
        throw new Error(`README's install line names ${word}, which the workspace does not pin`);
      }
      return `${word}@${version}`;
    });
    await run(command!, [subcommand!, ...args, "--prefer-offline", "--no-audit", "--no-fund"], project, installTimeoutMs);
  }
  const installed = async (name: string): Promise<string> => (await readPackageJson(join(project, "node_modules", name))).version;
  for (const name of ["@bufbuild/protobuf", "@bufbuild/protoc-gen-es", "@nats-io/nats-core", "@nats-io/transport-node"]) {
    expect(`${name}@${await installed(name)}`).toBe(`${name}@${versions[name]}`);
  }
  // One copy of each module that the user's code and the runtime share.
  for (const shared of ["@bufbuild/protobuf", "@nats-io/nats-core"]) {
    await expect(lstat(join(project, "node_modules", "nats-micro-runtime", "node_modules", shared))).rejects.toThrow();
    await expect(lstat(join(project, "node_modules", "@nats-io", "transport-node", "node_modules", shared))).rejects.toThrow();
  }

  // The plugin's bin works, and loads neither NATS nor the runtime's CLI or metrics dependencies.
  const bin = join(project, "node_modules", ".bin");
  await writeFile(join(project, "loaded-modules.mjs"), loadedModulesHook);
  const plugin = await run("node", ["--import", "./loaded-modules.mjs", join(bin, "protoc-gen-nats"), "--version"], project);
  expect(plugin.stdout.trim()).toBe(`protoc-gen-nats v${(await readPackageJson(join(rootDirectory, "plugin"))).version}`);
  const loadedPackages = new Set([...plugin.stderr.matchAll(/^loaded file:\/\/.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((match) => match[1]));
  expect(loadedPackages).toContain("nats-micro-runtime");
  expect([...loadedPackages].filter((name) => /^(@nats-io\/|commander$|pino$|prom-client$)/.test(name!))).toEqual([]);

  // The proto, and the README's quickstart, generated with the README's buf.yaml and buf.gen.yaml.
  const quickstart = await readmeBlocks("Quickstart");
  const quickstartProto = quickstart.find((block) => block.language === "proto")!.code;
  const quickstartCode = quickstart.filter((block) => block.language === "ts").slice(0, 2).map((block) => block.code);
  expect(quickstartCode).toHaveLength(2);
  await mkdir(join(project, "proto", "greet", "v1"), { recursive: true });
  await mkdir(join(project, "proto", "calc", "v1"), { recursive: true });
  await mkdir(join(project, "src"));
  await writeFile(join(project, "proto", "greet", "v1", "greet.proto"), greetProto);
  await writeFile(join(project, "proto", "calc", "v1", "calc.proto"), quickstartProto);
  await writeFile(join(project, "src", "main.ts"), mainProgram);
  await writeFile(join(project, "src", "entries.ts"), entriesProgram);
  // The quickstart's serving and calling snippets as one module; type-checked, never run (it
  // connects to the default port).
  await writeFile(join(project, "src", "quickstart.ts"), quickstartCode.join("\n"));
  await run(join(bin, "buf"), ["generate"], project, stepTimeoutMs, project);
  const generated = await readFile(join(project, "src", "gen", "greet", "v1", "greet_nats.ts"), "utf8");
  expect(generated).toContain("greet.v1.Greeter.hello");

  // Strict, as the README's tsconfig.json says; it emits dist/.
  await run(join(bin, "tsc"), ["-p", "."], project, stepTimeoutMs, project);
  // Without skipLibCheck: whatever fails, it is not in our packages' declarations or the project's code.
  const unskipped = await runProcess(join(bin, "tsc"), ["-p", ".", "--noEmit", "--skipLibCheck", "false"], {
    cwd: project,
    env: strangerEnvironment(project),
    timeoutMs: stepTimeoutMs,
  });
  const failingFiles = [...new Set([...unskipped.stdout.matchAll(/^(\S+?)\(\d+,\d+\): error/gm)].map((match) => match[1]!))];
  expect(failingFiles.filter((file) => ["", "nats-micro-runtime", "protoc-gen-nats"].includes(owningPackage(file)))).toEqual([]);

  const server = await startNatsServer();
  try {
    const { stdout } = await run("node", ["dist/main.js", server.url], project, stepTimeoutMs, project);
    expect(JSON.parse(stdout)).toEqual({
      greeting: expect.stringMatching(/^Hello, stranger! \(\d+ ms left\)$/),
      failure: "invalid_argument",
      raw: { greeting: expect.stringMatching(/^Hello, raw! /) },
      name: "greeter",
      version: "1.2.3",
    });
  } finally {
    await server.stop();
  }
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "packaging-"));
  const sources = join(directory, "sources");
  const destination = join(directory, "tarballs");
  await mkdir(sources);
  await mkdir(destination);
  await copySources(sources);
  const runtime = await pack(join(sources, "runtime"), destination);
  const plugin = await pack(join(sources, "plugin"), destination);
  tarballs.runtime = runtime.filename;
  tarballs.plugin = plugin.filename;
  packedFiles.runtime = runtime.files;
  packedFiles.plugin = plugin.files;
  // Both projects are installed, generated, type-checked and run side by side; each test below
  // waits for its own (a failure is reported there, not here).
  for (const [label, versions] of [
    ["newest", await workspaceVersions()],
    ["oldest", await oldestVersions()],
  ] as const) {
    const project = strangersProject(label, versions);
    project.catch(() => undefined);
    projects.set(label, project);
  }
}, 180_000);

function projectStarted(label: string): Promise<void> {
  return projects.get(label) ?? Promise.reject(new Error(`the ${label} project did not start`));
}

afterAll(async () => {
  await Promise.allSettled(projects.values());
  if (directory !== undefined) {
    await rm(directory, { recursive: true, force: true });
  }
});

describe("a stranger's project, installed as README.md says", () => {
  test("with the versions the workspace pins", async () => {
    await projectStarted("newest");
  }, 180_000);

  test("with the oldest @bufbuild/protobuf, protoc-gen-es and @nats-io/* the peer ranges allow", async () => {
    await projectStarted("oldest");
  }, 180_000);
});
