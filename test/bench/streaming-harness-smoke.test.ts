// A short run of the streaming benchmark (bench/src/streaming/), so that it keeps working: every
// case streams every tick it was asked for, the figures are sane, the slow consumer reads, and
// the report says where the goals stand. It times nothing and asserts no speed.
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootDirectory } from "../helpers/paths.js";
import { runProcess } from "../helpers/run-process.js";

interface StreamingReport {
  options: { count: number; rounds: number };
  cases: { name: string; messagesPerSecond: { median: number; min: number; max: number }; incompleteRounds: number }[];
  slowConsumer?: { readMessagesPerSecond: number; consumerRssMb: { first: number; max: number; last: number } };
}

let directory: string;
let report: StreamingReport;
let stdout: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "bench-streaming-smoke-"));
  const jsonFile = join(directory, "report.json");
  const result = await runProcess("node", ["bench/dist/src/streaming/streaming.js", "--count", "3000", "--rounds", "1", "--slow-read-ms", "2000", "--json", jsonFile], {
    cwd: rootDirectory,
    timeoutMs: 80_000,
  });
  expect(result.stderr).not.toMatch(/benchmark failed/);
  expect(result.exitCode).toBe(0);
  stdout = result.stdout;
  report = JSON.parse(await readFile(jsonFile, "utf8")) as StreamingReport;
}, 90_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

test("every case streams every tick and has a positive rate", () => {
  expect(report.options).toMatchObject({ count: 3000, rounds: 1 });
  expect(report.cases.map((row) => row.name)).toEqual(["ours", "grpc", "raw"]);
  for (const row of report.cases) {
    expect({ name: row.name, incomplete: row.incompleteRounds }).toEqual({ name: row.name, incomplete: 0 });
    expect(row.messagesPerSecond.median).toBeGreaterThan(0);
  }
});

test("the slow consumer reads, and the report states the goals", () => {
  expect(report.slowConsumer?.readMessagesPerSecond).toBeGreaterThan(0);
  expect(report.slowConsumer?.consumerRssMb.max).toBeGreaterThan(0);
  expect(stdout).toMatch(/ours \/ grpc-js: [\d.]+ \(goal >= 3: (met|missed)\)/);
  expect(stdout).toMatch(/ours \/ raw NATS publish loop: [\d.]+ \(goal >= 0\.5: (met|missed)\)/);
});
