// A short run of the benchmark harness (bench/), so that it keeps working: a few hundred requests
// per case, checked for completeness and sane figures. It times nothing and asserts no speed.
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

interface SmokeReport {
  runs: { kind: string; inFlight: number; requests: number; natsServerCpuUs?: number }[];
  summaries: {
    kind: string;
    inFlight: number;
    requestsPerSecond: Spread;
    p50Ms: Spread;
    p99Ms: Spread;
    clientCpuUs: Spread;
    serverCpuUs: Spread;
    natsServerCpuUs?: Spread;
  }[];
  memory: { baselineRequests: number; totalRequests: number; baselineRssBytes: number; finalRssBytes: number };
  codegen: { protocGenEsFiles: number; protocGenNatsFiles: number; protocGenEsMs: Spread; protocGenNatsMs: Spread };
  natsVersions: { name: string; ratio: Spread }[];
  targets: { name: string; ratio: Spread; met: boolean }[];
}

const natsCases = new Set(["raw", "generated", "generated-json", "raw-no-traces", "generated-no-traces", "raw-v2", "raw-v2-no-traces"]);
const cases = [...natsCases, "grpc", "http"];
const inFlight = [1, 16, 128];
const requestsPerRun = 200;

let directory: string;
let report: SmokeReport;
let stdout: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "bench-smoke-"));
  const jsonFile = join(directory, "report.json");
  // The request counts bound every run; the durations are only a safety net.
  const result = await runProcess(
    "node",
    [
      "bench/dist/src/run-benchmarks.js",
      "--repetitions=1",
      `--requests=${requestsPerRun}`,
      "--duration-ms=20000",
      "--warmup-requests=50",
      "--warmup-ms=10000",
      "--memory-requests=2000",
      "--codegen-repetitions=1",
      "--codegen-services=4",
      "--codegen-methods=3",
      `--json=${jsonFile}`,
    ],
    { cwd: rootDirectory, timeoutMs: 170_000 },
  );
  expect(result.stderr).not.toMatch(/benchmark failed/);
  expect(result.exitCode).toBe(0);
  stdout = result.stdout;
  report = JSON.parse(await readFile(jsonFile, "utf8")) as SmokeReport;
}, 180_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

test("every case runs at every in-flight setting, each for exactly the requests it was given", () => {
  for (const kind of cases) {
    for (const requestsInFlight of inFlight) {
      const runs = report.runs.filter((run) => run.kind === kind && run.inFlight === requestsInFlight);
      expect({ kind, requestsInFlight, runs: runs.length }).toEqual({ kind, requestsInFlight, runs: 1 });
      expect(runs[0]!.requests).toBe(requestsPerRun);
    }
  }
});

test("the figures are sane: positive rates, p50 at most p99, CPU measured for client, server and nats-server", () => {
  expect(report.summaries).toHaveLength(cases.length * inFlight.length);
  for (const summary of report.summaries) {
    const where = `${summary.kind} at ${summary.inFlight}`;
    expect([where, Number.isFinite(summary.requestsPerSecond.median) && summary.requestsPerSecond.median > 0]).toEqual([where, true]);
    expect([where, summary.p50Ms.median > 0 && summary.p50Ms.median <= summary.p99Ms.median]).toEqual([where, true]);
    expect([where, summary.clientCpuUs.median > 0 && summary.serverCpuUs.median >= 0]).toEqual([where, true]);
    // nats-server's CPU is read for the NATS cases only.
    expect([where, summary.natsServerCpuUs !== undefined]).toEqual([where, natsCases.has(summary.kind)]);
  }
});

test("the memory check, the code generation benchmark and every target are reported", () => {
  expect(report.memory).toMatchObject({ baselineRequests: 1_000, totalRequests: 2_000 });
  expect(report.memory.baselineRssBytes).toBeGreaterThan(0);
  expect(report.memory.finalRssBytes).toBeGreaterThan(0);
  // 4 services in one file: protoc-gen-es and protoc-gen-nats each write one file for it.
  expect(report.codegen).toMatchObject({ protocGenEsFiles: 1, protocGenNatsFiles: 1 });
  expect(report.codegen.protocGenNatsMs.median).toBeGreaterThan(0);
  const names = report.targets.map((target) => target.name);
  expect(names).toEqual(
    expect.arrayContaining([
      "generated / raw requests/s at 1 in flight",
      "generated / raw p50 latency at 1 in flight",
      "generated-no-traces / raw-no-traces p50 latency at 1 in flight",
      "generated / raw requests/s at 16 in flight",
      "generated / raw p50 latency at 128 in flight",
      "generated-no-traces / raw-no-traces requests/s at 128 in flight",
      "generated / grpc requests/s at 128 in flight",
      "generated / http requests/s at 128 in flight",
      "host RSS after 2000 requests / after 1000",
      "protoc-gen-nats / protoc-gen-es time, 4 services x 3 methods",
    ]),
  );
  for (const target of report.targets) {
    expect([target.name, Number.isFinite(target.ratio.median) && target.ratio.median > 0]).toEqual([target.name, true]);
  }
});

test("nats.js v3 is compared with v2, raw against raw, at every in-flight setting", () => {
  const names = report.natsVersions.map((comparison) => comparison.name);
  for (const requestsInFlight of inFlight) {
    expect(names).toContain(`raw / raw-v2 requests/s at ${requestsInFlight} in flight`);
    expect(names).toContain(`raw-no-traces / raw-v2-no-traces p50 latency at ${requestsInFlight} in flight`);
  }
  for (const comparison of report.natsVersions) {
    expect([comparison.name, Number.isFinite(comparison.ratio.median) && comparison.ratio.median > 0]).toEqual([comparison.name, true]);
  }
});

test("the printed report has a table per in-flight setting and the targets", () => {
  for (const requestsInFlight of inFlight) {
    expect(stdout).toContain(`${requestsInFlight} in flight (median`);
  }
  for (const kind of cases) {
    expect(stdout).toMatch(new RegExp(`^\\| ${kind} +\\|`, "m"));
  }
  expect(stdout).toMatch(/nats\.js v3 \/ v2, raw cases \(ratios within this run\)/);
  expect(stdout).toMatch(/Targets \(ratios within this run\)/);
});
