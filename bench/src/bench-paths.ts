import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root (this file is bench/src/ in the sources, bench/dist/src/ once built). */
export const rootDirectory = fileURLToPath(new URL("../../../", import.meta.url));

/** An executable that npm installed for the workspace, such as `buf` or `protoc-gen-es`. */
export function binPath(name: string): string {
  return join(rootDirectory, "node_modules", ".bin", name);
}
