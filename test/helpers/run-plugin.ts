import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { binPath, rootDirectory } from "./paths.js";
import { readTree } from "./read-tree.js";
import { runProcess, type ProcessResult } from "./run-process.js";

/** Proto files by path (as imported, such as `shop/v1/orders.proto`) and content. */
export type ProtoFiles = Readonly<Record<string, string>>;

/** How to run the plugin. */
export interface RunPluginOptions {
  /** protoc-gen-nats's options, one `key=value` each: `target=ts` and `import_extension=js` unless set. */
  readonly options?: readonly string[];
  /** When set, protoc-gen-es runs too, with these options, into the same output. */
  readonly protocGenEsOptions?: readonly string[];
  /** The compiler that parses the protos and runs the plugins: `buf` unless set. */
  readonly compiler?: "buf" | "protoc";
  /**
   * How buf runs protoc-gen-nats: `all` (unless set), once with every file, as the project's
   * templates do, so that services of different directories are checked together; or
   * `directory`, buf's default, once per directory.
   */
  readonly bufStrategy?: "all" | "directory";
}

/** What one run produced. */
export interface PluginRun {
  /** The generated files by path (relative to the output directory) and content, paths sorted. */
  readonly files: Readonly<Record<string, string>>;
  /** Everything the compiler wrote to stderr, which includes the plugins' own stderr. */
  readonly stderr: string;
  /** Why generation failed (the compiler's stderr), or undefined when it succeeded. */
  readonly error: string | undefined;
}

/** The options the checked-in code is generated with. */
export const defaultOptions: readonly string[] = ["target=ts", "import_extension=js"];

/**
 * The plugin's own protos (`nats/micro/v1/options.proto`), which inline protos import as users'
 * protos do: a second buf module, or a second `-I` for protoc.
 */
export const pluginProtoDirectory = join(rootDirectory, "plugin", "proto");

/** No compiler run may take longer than this (several test files run buf at the same time). */
const timeoutMs = 20_000;

/**
 * Runs the real protoc-gen-nats (node_modules/.bin/protoc-gen-nats, which runs the built
 * plugin/dist: `npm run build` first) on inline proto files, through the real `buf generate`, or
 * through `protoc` when asked. Resolves with the generated files, the compiler's stderr, and the
 * error text when generation failed; rejects only when a compiler cannot be run at all or times out.
 *
 * The protos may import `nats/micro/v1/options.proto`: the plugin's proto directory is on the
 * include path, as a second buf module that is not generated itself (or a second `-I`).
 *
 * buf passes a plugin's stderr through to its own, so warnings such as skipped streaming methods
 * show in `stderr` with either compiler.
 *
 * With protoc, the protos are read from disk with `-I`; the files they import from outside the
 * set (the well-known types) come from protoc's own include directory when it has them, and
 * otherwise from a descriptor set that buf builds of the same protos (`--descriptor_set_in`,
 * which protoc consults only for files it does not find on disk).
 *
 * @example
 * const run = await runPlugin({ "a/v1/a.proto": 'syntax = "proto3"; package a.v1; ...' });
 * expect(run.error).toBeUndefined();
 * expect(run.files["a/v1/a_nats.ts"]).toContain("export class");
 */
export async function runPlugin(protos: ProtoFiles, runOptions: RunPluginOptions = {}): Promise<PluginRun> {
  const directory = await mkdtemp(join(tmpdir(), "protoc-gen-nats-"));
  try {
    const protoDirectory = join(directory, "proto");
    const outDirectory = join(directory, "out");
    for (const [path, content] of Object.entries(protos)) {
      await mkdir(dirname(join(protoDirectory, path)), { recursive: true });
      await writeFile(join(protoDirectory, path), content);
    }
    await mkdir(outDirectory);
    // buf's modules must lie inside the workspace: the plugin's protos are copied in.
    await cp(pluginProtoDirectory, join(directory, "include"), { recursive: true });
    await writeFile(join(directory, "buf.yaml"), "version: v2\nmodules:\n  - path: proto\n  - path: include\n");
    const run = runOptions.compiler === "protoc" ? runProtoc : runBuf;
    const result = await run(directory, protoDirectory, outDirectory, Object.keys(protos), runOptions);
    return {
      files: result.exitCode === 0 ? await readTree(outDirectory) : {},
      stderr: result.stderr,
      error: result.exitCode === 0 ? undefined : result.stderr.trim() || `exit code ${result.exitCode}`,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * Like {@link runPlugin}, for runs that must succeed: rejects with the compiler's error text when
 * generation fails.
 */
export async function generate(protos: ProtoFiles, runOptions: RunPluginOptions = {}): Promise<PluginRun> {
  const run = await runPlugin(protos, runOptions);
  if (run.error !== undefined) {
    throw new Error(`generation failed:\n${run.error}`);
  }
  return run;
}

type Compile = (
  directory: string,
  protoDirectory: string,
  outDirectory: string,
  protoPaths: readonly string[],
  runOptions: RunPluginOptions,
) => Promise<ProcessResult>;

// `buf generate` with a template of the real plugin binaries, written in JSON (which is YAML). The
// input `proto` generates the inline protos only; the module `include` only serves imports.
const runBuf: Compile = async (directory, _protoDirectory, outDirectory, _protoPaths, runOptions) => {
  const plugins = [];
  if (runOptions.protocGenEsOptions !== undefined) {
    plugins.push(bufPlugin("protoc-gen-es", outDirectory, runOptions.protocGenEsOptions));
  }
  plugins.push({ ...bufPlugin("protoc-gen-nats", outDirectory, runOptions.options ?? defaultOptions), strategy: runOptions.bufStrategy ?? "all" });
  await writeFile(join(directory, "buf.gen.yaml"), JSON.stringify({ version: "v2", plugins }, null, 2));
  return runProcess(binPath("buf"), ["generate", "--template", "buf.gen.yaml", "proto"], { cwd: directory, timeoutMs });
};

function bufPlugin(name: string, out: string, options: readonly string[]) {
  return options.length === 0 ? { local: binPath(name), out } : { local: binPath(name), out, opt: options };
}

// `protoc` with the real plugin binaries; see runPlugin for where imports come from.
const runProtoc: Compile = async (directory, protoDirectory, outDirectory, protoPaths, runOptions) => {
  const imports = join(directory, "imports.binpb");
  const build = await runProcess(binPath("buf"), ["build", "--as-file-descriptor-set", "-o", imports], { cwd: directory, timeoutMs });
  if (build.exitCode !== 0) {
    return build;
  }
  const args = [`--descriptor_set_in=${imports}`, "-I", protoDirectory, "-I", pluginProtoDirectory];
  if (runOptions.protocGenEsOptions !== undefined) {
    args.push(...protocPlugin("es", outDirectory, runOptions.protocGenEsOptions));
  }
  args.push(...protocPlugin("nats", outDirectory, runOptions.options ?? defaultOptions));
  return runProcess("protoc", [...args, ...protoPaths], { cwd: directory, timeoutMs });
};

function protocPlugin(name: string, out: string, options: readonly string[]): string[] {
  const args = [`--plugin=protoc-gen-${name}=${binPath(`protoc-gen-${name}`)}`, `--${name}_out=${out}`];
  return options.length === 0 ? args : [...args, `--${name}_opt=${options.join(",")}`];
}
