// Prints where a CPU profile (node --cpu-prof, as `npm run bench -- --profile DIR` writes) spends
// its time: self time by function and by source file, and total (inclusive) time of the functions
// that take most. Usage: node bench/dist/src/profile-summary.js FILE.cpuprofile [rows]
import { readFileSync } from "node:fs";
import { formatTable } from "./format-report.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

const [file, rowsText = "25"] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write("usage: node bench/dist/src/profile-summary.js FILE.cpuprofile [rows]\n");
  process.exit(2);
}
const rows = Number(rowsText);
const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map<number, number>();
for (const node of profile.nodes) {
  for (const child of node.children ?? []) {
    parents.set(child, node.id);
  }
}
const label = (node: ProfileNode) => {
  const url = node.callFrame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/(runtime|bench)\//, "$1/");
  return `${node.callFrame.functionName || "(anonymous)"} ${url}:${node.callFrame.lineNumber + 1}`;
};
const fileOf = (node: ProfileNode) => node.callFrame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/(runtime|bench)\//, "$1/") || node.callFrame.functionName;

const self = new Map<string, number>();
const byFile = new Map<string, number>();
const total = new Map<string, number>();
for (const id of profile.samples) {
  const node = nodes.get(id)!;
  self.set(label(node), (self.get(label(node)) ?? 0) + 1);
  byFile.set(fileOf(node), (byFile.get(fileOf(node)) ?? 0) + 1);
  // Each function counts once per sample, however deep it recurses.
  const seen = new Set<string>();
  for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
    const name = label(nodes.get(current)!);
    if (!seen.has(name)) {
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + 1);
    }
  }
}
const count = profile.samples.length;
const top = (counts: Map<string, number>) =>
  [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([name, samples]) => [((100 * samples) / count).toFixed(1), name]);
process.stdout.write(`${file}: ${count} samples\n\nself time\n${formatTable(["%", "function"], top(self))}\n\n`);
process.stdout.write(`self time by file\n${formatTable(["%", "file"], top(byFile))}\n\n`);
process.stdout.write(`total time\n${formatTable(["%", "function"], top(total))}\n`);
