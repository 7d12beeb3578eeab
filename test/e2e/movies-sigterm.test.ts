// The movies service (seed 003) stopped tier by tier with SIGTERM under load, as an operator's
// rolling restart does: two engine instances (`movies engine serve --workers 2 --jobs`) on two
// members of a JetStream cluster and the gateway (`movies gateway --workers 2`) on the third, all
// real processes, while six HTTP clients send a mixed load. Each instance stopped answers what it
// has in flight and exits 0; the other engine takes the requests meanwhile, so none fails. The
// only gateway, stopping, answers new requests 503 (`unavailable`, Connection: close) while it
// drains, then its port refuses connections; once it is back on the same port the load goes on.
// No acknowledged write is lost and every queued download ends ready.
import { performance } from "node:perf_hooks";
import { JobState } from "nats-micro-runtime/jobs";
import type { MoviesProcess } from "../helpers/movies-app.js";
import { waitUntil } from "../helpers/nats-cluster.js";
import { checkMoviesTable, startMoviesLoad, tallyOutcomes, uncleanOutcomes, type MoviesLoad, type MovieRequestOutcome, type MovieRow } from "../helpers/movies-load.js";
import { startMoviesSystem, type GatewayInstance, type MoviesSystem } from "../helpers/movies-system.js";

const requestDeadlineMs = 8_000;

let system: MoviesSystem;
let gateway: GatewayInstance;

beforeAll(async () => {
  system = await startMoviesSystem({ name: "movies_sigterm", jobLeaseMs: 2_000 });
  [, , gateway] = await Promise.all([system.startEngine(0), system.startEngine(1), system.startGateway(2)]);
}, 90_000);

let runningLoad: MoviesLoad | undefined;

afterAll(async () => {
  // A test that failed half-way leaves its load running: its clients end before the system.
  await runningLoad?.stop();
  await system?.stop();
});

const movieRows = () => system.database.query<MovieRow>("SELECT id, title, description, source_url, version FROM movies");

/**
 * Stops an instance with SIGTERM to its primary process (which stops its workers) and resolves
 * with its exit code, when it was asked to stop, and what it said as it stopped if the code is not 0.
 */
async function terminate(instance: MoviesProcess): Promise<{ code: number | null; at: number; said?: unknown }> {
  const at = performance.now();
  const { cli } = instance;
  // Its log from the SIGTERM on, for the message of a failure.
  const from = cli.logs.length;
  const said = () => cli.logs.slice(from).map((line) => JSON.stringify(line)).join("\n");
  const code = await instance.stop().catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nits log since the SIGTERM:\n${said()}`);
  });
  return { code, at, ...(code === 0 ? {} : { said: said() + cli.stderr() }) };
}

// How long before the gateway's SIGTERM a request may have been sent and still be unread when
// the gateway starts to drain (the signal goes through its primary to its workers): it is then
// answered 503, or its connection is closed as idle. Requests the gateway was answering take
// longer than this, so they are still held to an answer.
const keepAliveRaceMs = 100;

// A connection the gateway refused or closed without an answer: what a client sees of a stopped gateway.
const refusedConnection = /ECONNREFUSED|other side closed|socket hang up|ECONNRESET|SocketError/;

test("SIGTERM to each engine instance and to the gateway under load: answers in flight, exit 0, no request failed by an engine, no write or download lost", async () => {
  const [first, second] = system.engines as [typeof system.engines[0], typeof system.engines[0]];
  const load = (runningLoad = startMoviesLoad({
    baseUrl: gateway.url,
    clients: 6,
    maxRequestsPerClient: 2_000,
    pauseMs: 20,
    requestDeadlineMs,
    sourceUrl: (client, n) => `${system.mirror.url}/files/c${client}-${n}?size=100000&rate=100000`,
  }));
  const inFlightAt = (at: number) => load.outcomes.filter((outcome) => outcome.sentAt < at && outcome.settledAt > at);
  await load.waitForRequestsAfter(0, 100);

  // The first engine stops while the second serves; then it comes back, and the second stops.
  const firstStop = await terminate(first);
  expect(firstStop).toEqual({ code: 0, at: expect.any(Number) });
  expect(first.cli.logs.filter((line) => line.msg === "drain timed out: exiting with requests unanswered")).toEqual([]);
  const again = await system.startEngine(0);
  await load.waitForRequestsAfter(performance.now(), 50);
  const secondStop = await terminate(second);
  expect(secondStop).toEqual({ code: 0, at: expect.any(Number) });
  expect(second.cli.logs.filter((line) => line.msg === "drain timed out: exiting with requests unanswered")).toEqual([]);
  await load.waitForRequestsAfter(performance.now(), 50);

  // The only gateway stops, and a new one is started on its port.
  const port = Number(new URL(gateway.url).port);
  const gatewayStop = await terminate(gateway);
  expect(gatewayStop).toEqual({ code: 0, at: expect.any(Number) });
  const restarted = await system.startGateway(2, 2, port);
  expect(restarted.url).toBe(gateway.url);
  const backAt = performance.now();
  await load.waitForRequestsAfter(backAt, 50);
  await load.stop();
  const outcomes = load.outcomes;
  const tally = tallyOutcomes(outcomes);

  // While the gateway was down: requests it refused while it drained (503, "shutting down", with
  // Connection: close) and connections refused until the new one listened. Nothing else failed.
  // Each with its times from the gateway's SIGTERM and to its return, for the message of a failure.
  const timed = (list: readonly MovieRequestOutcome[]) =>
    list.map((outcome) => ({ ...outcome, sentAfterStop: outcome.sentAt - gatewayStop.at, sentBeforeBack: backAt - outcome.sentAt }));
  // (A request sent a moment before the SIGTERM may be read only once the gateway drains: see keepAliveRaceMs.)
  const gatewayDown = (outcome: MovieRequestOutcome) => outcome.sentAt >= gatewayStop.at - keepAliveRaceMs && outcome.sentAt < backAt;
  const refusedWhileDraining = (outcome: MovieRequestOutcome) => gatewayDown(outcome) && outcome.status === 503 && outcome.failure === "the gateway is shutting down";
  expect(timed(outcomes.filter((outcome) => outcome.status !== undefined && outcome.status >= 300 && !refusedWhileDraining(outcome)))).toEqual([]);
  // Without an answer, only requests that never reached a gateway: a connection refused, opened
  // once the gateway was stopping; or a keep-alive connection the stopping gateway closed as idle
  // before it had read the request on it, which was sent after the SIGTERM or a moment before
  // (HTTP's keep-alive race: a client may send an idempotent request again). A request the
  // gateway was answering (sent earlier) is never among them.
  const unanswered = (outcome: MovieRequestOutcome) =>
    outcome.sentAt < backAt &&
    ((outcome.settledAt > gatewayStop.at && /^ECONNREFUSED/.test(outcome.failure ?? "")) ||
      (gatewayDown(outcome) && refusedConnection.test(outcome.failure ?? "")));
  expect(timed(uncleanOutcomes(outcomes, { statuses: [200, 201, 503], deadlineMs: requestDeadlineMs, allowNoAnswer: unanswered }))).toEqual([]);
  expect(outcomes.some((outcome) => outcome.status === undefined)).toBe(true);
  // The requests in flight at each SIGTERM were answered, with success (but for those above,
  // which never reached a gateway).
  for (const { at } of [firstStop, secondStop, gatewayStop]) {
    const failedInFlight = inFlightAt(at).filter((outcome) => (outcome.status === undefined && !unanswered(outcome)) || (outcome.status! >= 300 && !refusedWhileDraining(outcome)));
    expect(timed(failedInFlight)).toEqual([]);
  }
  expect(load.contradictions).toEqual([]);
  for (const key of ["create 201", "get 200", "update 200", "list 200", "delete 200"]) {
    expect(tally[key] ?? 0).toBeGreaterThan(10);
  }

  // No acknowledged write is lost, and every download ends ready (on the engine that came back).
  expect(checkMoviesTable(load, await movieRows())).toEqual([]);
  await waitUntil(
    "every movie to be downloaded",
    async () => (await system.database.query<{ n: number }>("SELECT count(*)::int AS n FROM movies WHERE state <> 'ready'"))[0]!.n === 0,
    40_000,
  );
  const rows = await movieRows();
  const statuses = await Promise.all(rows.map((row) => system.downloads.status(row.id)));
  expect(statuses.filter((status) => status?.state !== JobState.Completed)).toEqual([]);
  expect(statuses.some((status) => again.downloadInstances.includes(status!.worker ?? ""))).toBe(true);
  expect(await system.downloads.deadLetters()).toEqual([]);
  console.log(`SIGTERM: ${outcomes.length} requests ${JSON.stringify(tally)}`);
}, 150_000);
