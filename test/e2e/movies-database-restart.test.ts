// The movies service (seed 003) with its database restarted under load: the engine's PostgreSQL
// (a private server, so that the test can stop it for real) is stopped for a second and started
// again while six HTTP clients send a mixed load through the gateway to two engine instances,
// all real processes. The requests the database cannot serve fail cleanly with 503 and
// `unavailable` (not 500, not a hang); once it is back they succeed again, no service restarted;
// no acknowledged write is lost; and the downloads in flight at the time are retried and end ready.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { JobState } from "nats-micro-runtime/jobs";
import { waitUntil } from "../helpers/nats-cluster.js";
import { checkMoviesTable, startMoviesLoad, tallyOutcomes, uncleanOutcomes, type MoviesLoad, type MovieRow } from "../helpers/movies-load.js";
import { startMoviesSystem, type GatewayInstance, type MoviesSystem } from "../helpers/movies-system.js";

const requestDeadlineMs = 8_000;
// google.rpc.Code of unavailable, as the gateway's error bodies carry it.
const unavailable = 14;

let system: MoviesSystem;
let gateway: GatewayInstance;

beforeAll(async () => {
  system = await startMoviesSystem({ name: "movies_database_restart", privatePostgres: true, jobLeaseMs: 2_000 });
  [, , gateway] = await Promise.all([system.startEngine(0), system.startEngine(1), system.startGateway(2)]);
}, 90_000);

let runningLoad: MoviesLoad | undefined;

afterAll(async () => {
  // A test that failed half-way leaves its load running: its clients end before the system.
  await runningLoad?.stop();
  await system?.stop();
});

const movieRows = () => system.database.query<MovieRow>("SELECT id, title, description, source_url, version FROM movies");

test("a database restart under load: 503 unavailable while it is down, success after, no service restarted, no write lost, downloads retried to ready", async () => {
  const postgres = system.postgres!;
  const load = (runningLoad = startMoviesLoad({
    baseUrl: gateway.url,
    clients: 6,
    maxRequestsPerClient: 1_000,
    pauseMs: 20,
    requestDeadlineMs,
    sourceUrl: (client, n) => `${system.mirror.url}/files/c${client}-${n}?size=100000&rate=100000`,
  }));
  await load.waitForRequestsAfter(0, 100);
  // Downloads just started when the database goes (a download takes a second; its progress is
  // written every 250 ms): they end while it is down, cannot record their end, and run again.
  let downloading: string[] = [];
  await waitUntil(
    "downloads to have just started",
    async () => {
      downloading = (await system.database.query<{ id: string }>("SELECT id FROM movies WHERE state = 'downloading' AND bytes_done = 0")).map((row) => row.id);
      return downloading.length >= 2;
    },
    10_000,
  );

  const downAt = performance.now();
  await postgres.stop();
  // Down for a second: within the download jobs' back-off (0.5 s, 1 s, 2 s between 4 attempts).
  await sleep(1_000);
  await postgres.start();
  const upAt = performance.now();
  // Until the requests waiting for a connection have ended (2 s at most) and 100 more were sent after.
  await sleep(2_000);
  await load.waitForRequestsAfter(performance.now(), 100);
  await load.stop();
  const outcomes = load.outcomes;
  const tally = tallyOutcomes(outcomes);

  // Success, or 503 with unavailable: no 500, no other failure, no request hung.
  expect(uncleanOutcomes(outcomes, { statuses: [200, 201, 503], deadlineMs: requestDeadlineMs })).toEqual([]);
  expect(load.contradictions).toEqual([]);
  const failed = outcomes.filter((outcome) => outcome.status === 503);
  expect(failed.length).toBeGreaterThan(5);
  expect(failed.filter((outcome) => outcome.grpcCode !== unavailable)).toEqual([]);
  expect(failed.every((outcome) => /database/.test(outcome.failure ?? ""))).toBe(true);
  // The failures are the outage's: settled after it began, sent before the database was back
  // (a request waits for a connection 2 s at most).
  expect(failed.filter((outcome) => outcome.settledAt < downAt || outcome.sentAt > upAt)).toEqual([]);
  // Back without restarting anything: requests sent after the database was up all succeeded.
  const after = outcomes.filter((outcome) => outcome.sentAt > upAt);
  expect(after.length).toBeGreaterThan(100);
  expect(after.filter((outcome) => outcome.status! >= 400)).toEqual([]);
  for (const engine of system.engines) {
    expect(engine.cli.child.exitCode).toBeNull();
    expect(engine.cli.logs.filter((line) => line.msg === "worker stopped" || line.level === "fatal")).toEqual([]);
  }
  expect(gateway.cli.child.exitCode).toBeNull();
  for (const key of ["create 201", "get 200", "update 200", "list 200", "delete 200"]) {
    expect(tally[key] ?? 0).toBeGreaterThan(10);
  }

  // No acknowledged write is lost.
  expect(checkMoviesTable(load, await movieRows())).toEqual([]);

  // Every download ends ready; those under way when the database went needed another attempt.
  await waitUntil(
    "every movie to be downloaded",
    async () => (await system.database.query<{ n: number }>("SELECT count(*)::int AS n FROM movies WHERE state <> 'ready'"))[0]!.n === 0,
    40_000,
  );
  const rows = await movieRows();
  const statuses = await Promise.all(rows.map((row) => system.downloads.status(row.id)));
  expect(statuses.filter((status) => status?.state !== JobState.Completed)).toEqual([]);
  // The outage made attempts fail (the downloads above, or ones that started while it lasted),
  // and they were retried: otherwise this test would not have tried what it is about.
  const interrupted = statuses.filter((status) => downloading.includes(status!.id));
  const retried = statuses.filter((status) => status!.attempt >= 2);
  expect(retried.length).toBeGreaterThan(0);
  expect(await system.downloads.deadLetters()).toEqual([]);
  console.log(`database restart: ${outcomes.length} requests ${JSON.stringify(tally)}; ${interrupted.length} downloads just started at the outage, of which ${interrupted.filter((status) => status!.attempt >= 2).length} retried; ${retried.length} downloads retried in all`);
}, 120_000);
