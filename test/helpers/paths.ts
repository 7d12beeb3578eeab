import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory: where package.json, buf.yaml and node_modules are. */
export const rootDirectory = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The path of an executable that npm installed for the workspace, such as `buf`, `tsc` or
 * `protoc-gen-nats` (the plugin's bin, which runs the built plugin/dist).
 */
export function binPath(name: string): string {
  return join(rootDirectory, "node_modules", ".bin", name);
}

/** The environment for child processes, with the workspace's executables first on PATH. */
export function environmentWithBin(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${join(rootDirectory, "node_modules", ".bin")}:${process.env["PATH"] ?? ""}` };
}
