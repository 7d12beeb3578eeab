// A short run of the pipeline benchmark (bench/src/pipeline/), so that it keeps working: both
// systems, one and two instances of every stop, a hundred records per run, checked for
// completeness and sane figures. It times nothing and asserts no speed.
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootDirectory } from "../helpers/paths.js";
import { runProcess } from "../helpers/run-process.js";

interface Spread {
  median: number;
  min: number;
  max: number;
}

interface PipelineReport {
  pipeline: {
    runs: { system: string; instances: number; outstanding: number; records: number; recordsPerSecond: number; p50Ms: number; p99Ms: number; stopsCpuUs: number; brokerCpuUs: number }[];
    hopCosts: { instances: number; outstanding: number; p50Ms: Spread; p99Ms: Spread }[];
    targets: { name: string; ratio: Spread; limit: number }[];
  };
}

const recordsPerRun = 100;
const instances = [1, 2];
const outstanding = [1, 8];

let directory: string;
let report: PipelineReport;
let stdout: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "bench-pipeline-smoke-"));
  const jsonFile = join(directory, "report.json");
  // The record counts bound every run; the durations are only a safety net.
  const result = await runProcess(
    "node",
    [
      "bench/dist/src/run-benchmarks.js",
      "--pipeline-only",
      "--pipeline-repetitions=1",
      `--pipeline-max=${recordsPerRun}`,
      "--pipeline-duration-ms=20000",
      "--pipeline-warmup-ms=5000",
      `--pipeline-instances=${instances.join(",")}`,
      `--pipeline-outstanding=${outstanding.join(",")}`,
      `--json=${jsonFile}`,
    ],
    { cwd: rootDirectory, timeoutMs: 170_000 },
  );
  expect(result.stderr).not.toMatch(/benchmark failed/);
  expect(result.exitCode).toBe(0);
  stdout = result.stdout;
  report = JSON.parse(await readFile(jsonFile, "utf8")) as PipelineReport;
}, 180_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

test("both systems run at every instance and outstanding count, each for exactly the records it was given", () => {
  for (const system of ["ours", "bare"]) {
    for (const count of instances) {
      for (const records of outstanding) {
        const runs = report.pipeline.runs.filter((run) => run.system === system && run.instances === count && run.outstanding === records);
        expect({ system, count, records, runs: runs.map((run) => run.records) }).toEqual({ system, count, records, runs: [recordsPerRun] });
      }
    }
  }
});

test("the figures are sane, and the goal and the time a hop adds are reported for every case", () => {
  for (const run of report.pipeline.runs) {
    const where = `${run.system} ${run.instances}x${run.outstanding}`;
    expect([where, run.recordsPerSecond > 0 && run.p50Ms > 0 && run.p50Ms <= run.p99Ms && run.stopsCpuUs > 0 && run.brokerCpuUs > 0]).toEqual([where, true]);
  }
  expect(report.pipeline.targets.map((target) => target.name)).toEqual(
    instances.flatMap((count) => outstanding.map((records) => `ours / bare JetStream chain records/s, ${count} instance(s) per stop, ${records} outstanding`)),
  );
  for (const target of report.pipeline.targets) {
    expect([target.name, target.limit, Number.isFinite(target.ratio.median) && target.ratio.median > 0]).toEqual([target.name, 0.7, true]);
  }
  expect(report.pipeline.hopCosts.map((cost) => [cost.instances, cost.outstanding])).toEqual(instances.flatMap((count) => outstanding.map((records) => [count, records])));
  expect(stdout).toContain("Pipeline goals");
});
