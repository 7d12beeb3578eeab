import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Reads every file under a directory into a record of relative path (with `/`) to content, with
 * the paths in sorted order. A directory that does not exist reads as no files.
 */
export async function readTree(directory: string): Promise<Record<string, string>> {
  const paths: string[] = [];
  await collect(directory, "", paths);
  const files: Record<string, string> = {};
  for (const path of paths.sort()) {
    files[path] = await readFile(join(directory, path), "utf8");
  }
  return files;
}

async function collect(root: string, prefix: string, paths: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(join(root, prefix), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return;
    }
    throw error;
  }
  for (const entry of entries) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      await collect(root, path, paths);
    } else {
      paths.push(path);
    }
  }
}
