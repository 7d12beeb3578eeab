// A short run of the movies example's benchmark (bench/src/movies/), so that it keeps working:
// both engine settings and the baseline, both operations at two connection counts, a few dozen
// requests a run, checked for completeness, sane figures, downloads that all ended, and nothing
// left behind (its database dropped, its processes gone). It times nothing and asserts no speed.
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { rootDirectory } from "../helpers/paths.js";
import { runProcess } from "../helpers/run-process.js";
import { sharedPostgres } from "../helpers/test-database.js";

interface MoviesRun {
  target: string;
  kind: "gateway" | "baseline";
  operation: "get" | "post";
  connections: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUs: { http: number; engine: number; natsServer: number; postgres: number; all: number };
  downloadsFailed?: number;
}

interface MoviesReport {
  databaseName: string;
  seededMovies: number;
  targets: { name: string; kind: string }[];
  runs: MoviesRun[];
}

const getRequests = 60;
const postRequests = 30;
const connections = [2, 8];

let directory: string;
let report: MoviesReport;
let stdout: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "bench-movies-smoke-"));
  const jsonFile = join(directory, "report.json");
  const result = await runProcess(
    "node",
    [
      "bench/dist/src/movies/movies.js",
      "--repetitions=1",
      `--get-requests=${getRequests}`,
      `--post-requests=${postRequests}`,
      `--connections=${connections.join(",")}`,
      "--engine-workers=1,2",
      "--seed=40",
      "--warmup=20",
      `--json=${jsonFile}`,
    ],
    { cwd: rootDirectory, timeoutMs: 170_000 },
  );
  expect(result.stderr).not.toMatch(/benchmark failed/);
  expect(result.exitCode).toBe(0);
  stdout = result.stdout;
  report = JSON.parse(await readFile(jsonFile, "utf8")) as MoviesReport;
}, 180_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

test("every target runs both operations at every connection count, each for exactly the requests it was given", () => {
  expect(report.targets.map((target) => target.name)).toEqual(["gateway, engine ×1", "gateway, engine ×2", "baseline (node:http + pg)"]);
  expect(report.seededMovies).toBeGreaterThanOrEqual(40);
  for (const target of report.targets) {
    for (const operation of ["get", "post"] as const) {
      for (const count of connections) {
        const runs = report.runs.filter((run) => run.target === target.name && run.operation === operation && run.connections === count);
        expect({ target: target.name, operation, count, requests: runs.map((run) => run.requests) }).toEqual({
          target: target.name,
          operation,
          count,
          requests: [operation === "get" ? getRequests : postRequests],
        });
      }
    }
  }
});

test("the figures are sane: every tier of the service used CPU, and every download queued by a POST ended without failing", () => {
  const tiers = ["http", "engine", "natsServer", "postgres", "all"] as const;
  for (const run of report.runs) {
    const where = `${run.target} ${run.operation} -c ${run.connections}`;
    const throughService = run.kind === "gateway";
    expect([
      where,
      run.requestsPerSecond > 0 && run.p50Ms > 0 && run.p50Ms <= run.p99Ms,
      // CPU is read in clock ticks (10 ms): a short run of a cheap target may read 0.
      tiers.every((tier) => Number.isFinite(run.cpuUs[tier]) && run.cpuUs[tier] >= 0) && run.cpuUs.all > 0,
      throughService ? true : run.cpuUs.engine === 0 && run.cpuUs.natsServer === 0,
      throughService && run.operation === "post" ? run.downloadsFailed : undefined,
    ]).toEqual([where, true, true, true, throughService && run.operation === "post" ? 0 : undefined]);
  }
  // Over the service's POSTs (each with its download: milliseconds of CPU), every tier shows.
  const posts = report.runs.filter((run) => run.kind === "gateway" && run.operation === "post");
  for (const tier of tiers) {
    expect([tier, posts.reduce((sum, run) => sum + run.cpuUs[tier], 0) > 0]).toEqual([tier, true]);
  }
  expect(stdout).toContain("Requests/s over the baseline's");
});

test("its database is dropped and its processes are gone", async () => {
  const client = new pg.Client({ ...sharedPostgres, user: "postgres", database: "postgres" });
  await client.connect();
  try {
    const found = await client.query("SELECT datname FROM pg_database WHERE datname = $1", [report.databaseName]);
    expect(found.rowCount).toBe(0);
  } finally {
    await client.end();
  }
  // The engine's command line names the database.
  const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
  expect(processes.split("\n").filter((line) => line.includes(report.databaseName))).toEqual([]);
});
