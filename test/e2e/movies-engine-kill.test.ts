// The movies service (seed 003) with one engine instance killed under load: two engine instances
// (`movies engine serve --workers 2 --jobs`) on two members of a JetStream cluster, the gateway
// (`movies gateway --workers 2`) on the third, all real processes, over a real PostgreSQL. Six
// HTTP clients send a mixed load (create, get, update with the version, list, delete); one engine
// instance is killed with SIGKILL while it runs downloads. Every request succeeds or fails cleanly
// within its deadline, no acknowledged write is lost, and every download ends ready, the killed
// instance's on the survivor once their lease runs out. The victim is frozen (SIGSTOP) before the
// kill, as a hung process is, until requests wait for it, so that it surely dies with some in flight.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { JobState } from "nats-micro-runtime/jobs";
import { waitUntil } from "../helpers/nats-cluster.js";
import { checkMoviesTable, startMoviesLoad, tallyOutcomes, uncleanOutcomes, type MoviesLoad, type MovieRow } from "../helpers/movies-load.js";
import { startMoviesSystem, type EngineInstance, type GatewayInstance, type MoviesSystem } from "../helpers/movies-system.js";

// A killed engine's downloads run again this long after their last sign of life.
const jobLeaseMs = 2_000;
// The service's deadline is 5 s (movies.proto): a request without an answer 3 s later is hung.
const requestDeadlineMs = 8_000;

let system: MoviesSystem;
let victim: EngineInstance;
let survivor: EngineInstance;
let gateway: GatewayInstance;

beforeAll(async () => {
  system = await startMoviesSystem({ name: "movies_engine_kill", jobLeaseMs });
  [victim, survivor, gateway] = await Promise.all([system.startEngine(0), system.startEngine(1), system.startGateway(2)]);
}, 90_000);

let runningLoad: MoviesLoad | undefined;

afterAll(async () => {
  // A test that failed half-way leaves its load running: its clients end before the system.
  await runningLoad?.stop();
  await system?.stop();
});

/** The rows of the movies table that the load's checks compare. */
const movieRows = () => system.database.query<MovieRow>("SELECT id, title, description, source_url, version FROM movies");

test("an engine instance killed under a mixed load: clean answers only, no acknowledged write lost, every download ready", async () => {
  // Each download takes about a second (100 kB at 100 kB/s), so that each instance always has some under way.
  const load = (runningLoad = startMoviesLoad({
    baseUrl: gateway.url,
    clients: 6,
    maxRequestsPerClient: 1_000,
    pauseMs: 20,
    requestDeadlineMs,
    sourceUrl: (client, n) => `${system.mirror.url}/files/c${client}-${n}?size=100000&rate=100000`,
  }));

  // The victim is killed after 100 requests, while it runs downloads (some of them, found by
  // their job's worker).
  await load.waitForRequestsAfter(0, 100);
  const victimDownloads = async () => {
    const downloading = await system.database.query<{ id: string }>("SELECT id FROM movies WHERE state = 'downloading'");
    const statuses = await Promise.all(downloading.map(({ id }) => system.downloads.status(id)));
    return statuses.filter((status) => status?.state === JobState.Active && victim.downloadInstances.includes(status.worker ?? "")).map((status) => status!.id);
  };
  let held: string[] = [];
  await waitUntil(
    "the victim to run downloads",
    async () => {
      held = await victimDownloads();
      return held.length > 0;
    },
    20_000,
  );
  // Frozen first, as a hung instance is, until requests are surely in flight on it (waiting
  // for half a second, when the others take milliseconds): they can only fail, with 504 once
  // their deadline has passed.
  const frozenAt = performance.now();
  process.kill(-victim.cli.child.pid!, "SIGSTOP");
  await waitUntil("requests to wait for the frozen victim", () => load.pendingSince().some((sentAt) => sentAt > frozenAt && performance.now() - sentAt > 500), 10_000);
  // The downloads it holds now, frozen: one it finished between the look above and the freeze is
  // not among them (read half a second after the freeze, when what it sent before has landed).
  held = await victimDownloads();
  const killedAt = performance.now();
  await victim.cli.kill();
  // Until the requests stuck on the victim have failed (5 s) and 100 more were sent after them.
  await sleep(5_000);
  await load.waitForRequestsAfter(performance.now(), 100);
  await load.stop();
  const outcomes = load.outcomes;
  const tally = tallyOutcomes(outcomes);

  // Every request succeeded or failed cleanly (503 / 504 with a google.rpc.Status), none hung.
  expect(uncleanOutcomes(outcomes, { statuses: [200, 201, 503, 504], deadlineMs: requestDeadlineMs })).toEqual([]);
  expect(load.contradictions).toEqual([]);
  const failed = outcomes.filter((outcome) => outcome.status! >= 400);
  // Only requests in flight on the victim when it died failed, at its deadline (504): at most
  // one per client, each sent before the kill; every request sent after the kill succeeded.
  expect(failed.length).toBeGreaterThan(0);
  expect(failed.length).toBeLessThanOrEqual(6);
  expect(failed.filter((outcome) => outcome.sentAt > killedAt || outcome.status !== 504)).toEqual([]);
  // A real mix: each kind of request succeeded many times.
  for (const key of ["create 201", "get 200", "update 200", "list 200", "delete 200"]) {
    expect(tally[key] ?? 0).toBeGreaterThan(10);
  }

  // No acknowledged write is lost: the table is what the answers said.
  expect(checkMoviesTable(load, await movieRows())).toEqual([]);

  // Every download ends ready: the victim's on the survivor, after their lease.
  await waitUntil(
    "every movie to be downloaded",
    async () => {
      const unready = await system.database.query<{ id: string; state: string; attempt: number }>("SELECT id, state, attempt FROM movies WHERE state <> 'ready' LIMIT 5");
      if (unready.length === 0) {
        return true;
      }
      // Thrown, so that a timeout says which movies were left and what their jobs were doing.
      const jobs = await Promise.all(unready.map(async (row) => ({ ...row, job: await system.downloads.status(row.id) })));
      throw new Error(`not ready: ${JSON.stringify(jobs)}`);
    },
    40_000,
  );
  const rows = await movieRows();
  expect(rows.length).toBeGreaterThan(10);
  const statuses = await Promise.all(rows.map((row) => system.downloads.status(row.id)));
  expect(statuses.filter((status) => status?.state !== JobState.Completed)).toEqual([]);
  for (const id of held.filter((heldId) => rows.some((row) => row.id === heldId))) {
    const status = statuses.find((candidate) => candidate?.id === id)!;
    expect(status.attempt).toBeGreaterThanOrEqual(2);
    expect(survivor.downloadInstances).toContain(status.worker);
    expect(status.startedAt!.getTime()).toBeGreaterThan(Date.now() - (performance.now() - killedAt));
  }
  const { code, signal } = await victim.cli.exited;
  expect({ code, signal }).toEqual({ code: null, signal: "SIGKILL" });
  console.log(`engine kill: ${outcomes.length} requests ${JSON.stringify(tally)}; ${held.length} downloads held by the victim`);
}, 120_000);
