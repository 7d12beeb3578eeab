import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { binPath, rootDirectory } from "./paths.js";
import { runProcess } from "./run-process.js";

/** Generated code of test/gen compiled to JavaScript, for fixtures that run as plain Node processes. */
export interface CompiledTestCode {
  /** The directory it is in, removed with it: room for a test's scratch files too. */
  readonly directory: string;
  /** The compiled module of `path` (relative to test/gen, such as "testing/streams/v1/streams_pb.ts"). */
  moduleOf(path: string): string;
  remove(): Promise<void>;
}

/**
 * Compiles files of test/gen (with what they import) into a temporary directory under test/, so
 * that a JavaScript fixture can import a service's descriptor. Fails with tsc's output.
 */
export async function compileTestCode(...paths: string[]): Promise<CompiledTestCode> {
  const gen = join(rootDirectory, "test", "gen");
  const directory = await mkdtemp(join(rootDirectory, "test", ".tmp-compiled-"));
  const flags = ["--outDir", directory, "--rootDir", gen, "--module", "NodeNext", "--moduleResolution", "NodeNext", "--target", "ES2022", "--skipLibCheck"];
  const result = await runProcess(binPath("tsc"), [...paths.map((path) => join(gen, path)), ...flags], { cwd: rootDirectory, timeoutMs: 60_000 });
  if (result.stdout !== "" || result.exitCode !== 0) {
    await rm(directory, { recursive: true, force: true });
    throw new Error(`tsc could not compile ${paths.join(", ")}:\n${result.stdout}${result.stderr}`);
  }
  return {
    directory,
    moduleOf: (path) => join(directory, path.replace(/\.ts$/, ".js")),
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
