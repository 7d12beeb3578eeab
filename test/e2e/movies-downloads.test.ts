// The movies example's downloads (seed 003, "add one new movie and download it"): each POST
// enqueues a durable job that the engine (`movies engine serve --jobs`, a real process) runs
// against the example's mirror (`movies mirror`, a real local HTTP server, never the internet).
// A download that completes (the file byte for byte, READY, 100 %), one that fails and succeeds
// on a retry, one that fails every attempt (FAILED, and its dead letter through the job client
// and the `movies downloads jobs` command), a source that refuses the request (not retried), and
// a movie deleted while its file downloads, and a movie saved without its job (its engine stopped
// between the two) found and downloaded, one whose job never got its message (its engine stopped
// half-way through the enqueue) queued again and downloaded, and one whose job ended without a
// word from its download marked failed.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { createJobClient, JobState, type JobClient } from "nats-micro-runtime/jobs";
import { Downloads } from "../../examples/movies/src/gen/movies/v1/movies_pb.js";
import { mirrorContent } from "../../examples/movies/src/mirror-server.js";
import { runCli } from "../helpers/cli-process.js";
import { migrateMovies, moviesProgram, startMoviesEngine, startMoviesGateway, startMoviesMirror, type MoviesProcess } from "../helpers/movies-app.js";
import { startNatsProcess, type NatsProcess } from "../helpers/nats-cluster.js";
import { createTestDatabase, type TestDatabase } from "../helpers/test-database.js";

interface Movie {
  id: string;
  state: string;
  progress: { bytes: string; total_bytes: string; percent: number };
  error: string;
  attempt: number;
  version: number;
}

let server: NatsProcess;
let nc: NatsConnection;
let jobs: JobClient<typeof Downloads>;
let database: TestDatabase;
let downloads: string;
let mirror: MoviesProcess & { url: string };
let engine: MoviesProcess;
let gateway: MoviesProcess & { url: string };

beforeAll(async () => {
  [server, database] = await Promise.all([startNatsProcess({ name: "movies-downloads", jetStream: true }), createTestDatabase("movies_downloads")]);
  nc = await connect({ servers: server.url });
  jobs = createJobClient(nc, Downloads);
  downloads = mkdtempSync(join(tmpdir(), "movies-downloads-"));
  await migrateMovies(database.url);
  mirror = await startMoviesMirror();
  [engine, gateway] = await Promise.all([
    // Checks for stranded downloads every second (15 s by default), for the last test.
    startMoviesEngine({ natsUrl: server.url, databaseUrl: database.url, downloadsDir: downloads, workers: 1, env: { MOVIES_ENGINE_STRANDED_CHECK_SECONDS: "1" } }),
    startMoviesGateway({ natsUrl: server.url }),
  ]);
}, 60_000);

afterAll(async () => {
  const codes = await Promise.all([gateway?.stop(), engine?.stop()]);
  await mirror?.stop();
  await nc?.close();
  await server?.stop();
  await database?.drop();
  rmSync(downloads, { recursive: true, force: true });
  expect(codes).toEqual([0, 0]);
}, 30_000);

async function addMovie(title: string, sourceUrl: string): Promise<Movie> {
  const response = await fetch(`${gateway.url}/v1/movies`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title, source_url: sourceUrl }) });
  expect(response.status).toBe(201);
  return (await response.json()) as Movie;
}

async function getMovie(id: string): Promise<{ status: number; movie: Movie }> {
  const response = await fetch(`${gateway.url}/v1/movies/${id}`);
  return { status: response.status, movie: (await response.json()) as Movie };
}

// Polls the movie every 50 ms until `done` says so (at most `timeoutMs`); returns every state seen.
async function watchMovie(id: string, done: (movie: Movie) => boolean, timeoutMs = 15_000): Promise<Movie[]> {
  const seen: Movie[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { movie } = await getMovie(id);
    seen.push(movie);
    if (done(movie)) {
      return seen;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`movie ${id} did not get there within ${timeoutMs} ms; last seen: ${JSON.stringify(seen.at(-1))}`);
}

const finished = (movie: Movie) => movie.state === "READY" || movie.state === "FAILED";

test("a download completes: the file byte for byte, READY at 100 %, progress on the way, the version untouched", async () => {
  const size = 3_000_000;
  // 2 MB/s: about 1.5 s, so that progress is seen on the way.
  const movie = await addMovie("Metropolis", `${mirror.url}/files/metropolis.mp4?size=${size}&rate=2000000`);
  expect(movie.state).toBe("QUEUED");
  const seen = await watchMovie(movie.id, finished);
  const last = seen.at(-1)!;
  expect(last).toMatchObject({ state: "READY", progress: { bytes: String(size), total_bytes: String(size), percent: 100 }, error: "", attempt: 1, version: 1 });
  const partial = seen.filter((state) => state.state === "DOWNLOADING" && state.progress.percent > 0 && state.progress.percent < 100);
  expect(partial.length).toBeGreaterThan(0);
  expect(partial.every((state) => Number(state.progress.total_bytes) === size)).toBe(true);
  // The file: exactly the mirror's bytes, and no temporary file left.
  expect(readFileSync(join(downloads, movie.id)).equals(mirrorContent("metropolis.mp4", size))).toBe(true);
  expect(readdirSync(downloads).filter((name) => name.startsWith("."))).toEqual([]);
  // The job is the movie's id, completed, with the file's hash.
  const status = await jobs.status(movie.id);
  expect(status).toMatchObject({ state: JobState.Completed, attempt: 1, progress: 1 });
  const result = await jobs.job.downloadMovie(movie.id).result({ timeoutMs: 5_000 });
  expect(result.bytes).toBe(BigInt(size));
  expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
}, 30_000);

test("a download that fails twice succeeds on its third attempt", async () => {
  const movie = await addMovie("Flaky", `${mirror.url}/files/flaky.mp4?size=50000&fail=2`);
  const seen = await watchMovie(movie.id, finished);
  expect(seen.at(-1)).toMatchObject({ state: "READY", attempt: 3, error: "", progress: { bytes: "50000", percent: 100 } });
  // Between the attempts, the movie was queued again with the failure.
  expect(seen.some((state) => state.state === "QUEUED" && /attempt [12] of 4: the source answered 503/.test(state.error))).toBe(true);
  expect(readFileSync(join(downloads, movie.id)).equals(mirrorContent("flaky.mp4", 50_000))).toBe(true);
  expect(await jobs.status(movie.id)).toMatchObject({ state: JobState.Completed, attempt: 3, attempts: 4 });
}, 30_000);

test("a download that fails every attempt leaves the movie FAILED and its job in the dead-letter stream", async () => {
  const movie = await addMovie("Lost", `${mirror.url}/files/lost.mp4?fail=always`);
  const seen = await watchMovie(movie.id, finished);
  expect(seen.at(-1)).toMatchObject({ state: "FAILED", attempt: 4, error: "attempt 4 of 4: the source answered 503 Service Unavailable" });
  expect(readdirSync(downloads).filter((name) => name.includes(movie.id))).toEqual([]);
  expect(await jobs.status(movie.id)).toMatchObject({ state: JobState.Failed, attempt: 4, error: { code: "unavailable" } });
  const letters = await jobs.deadLetters();
  expect(letters.filter((letter) => letter.id === movie.id)).toEqual([expect.objectContaining({ id: movie.id, method: "DownloadMovie", attempts: 4 })]);
  // And from the command line, as an operator finds it.
  const listed = await runCli(moviesProgram, ["downloads", "jobs", "dead", "ls", "--json", "--server", server.url]);
  expect(listed.exitCode).toBe(0);
  const fromCli = JSON.parse(listed.stdout) as { id: string; attempts: number; error: { code: string } }[];
  expect(fromCli.find((letter) => letter.id === movie.id)).toMatchObject({ attempts: 4, error: { code: "unavailable" } });
}, 30_000);

test("a source that refuses the request (404) is not retried: FAILED after one attempt", async () => {
  const movie = await addMovie("Missing", `${mirror.url}/nowhere/missing.mp4`);
  const seen = await watchMovie(movie.id, finished);
  expect(seen.at(-1)).toMatchObject({ state: "FAILED", attempt: 1, error: "attempt 1 of 4: the source answered 404 Not Found" });
  expect(await jobs.status(movie.id)).toMatchObject({ state: JobState.Failed, attempt: 1, error: { code: "failed_precondition" } });
});

test("a movie deleted while its file downloads: the download stops, no file is left, the job ends", async () => {
  // 1 MB at 200 kB/s: 5 s, deleted after the first progress.
  const movie = await addMovie("Deleted", `${mirror.url}/files/deleted.mp4?size=1000000&rate=200000`);
  await watchMovie(movie.id, (state) => state.state === "DOWNLOADING" && Number(state.progress.bytes) > 0);
  const deleted = await fetch(`${gateway.url}/v1/movies/${movie.id}`, { method: "DELETE" });
  expect(deleted.status).toBe(200);
  const result = await jobs.job.downloadMovie(movie.id).result({ timeoutMs: 10_000 });
  expect(result.skipped).toBe("the movie was deleted");
  expect(readdirSync(downloads).filter((name) => name.includes(movie.id))).toEqual([]);
  expect((await getMovie(movie.id)).status).toBe(404);
}, 30_000);

test("a movie saved without its job (its engine stopped between the two) is found, queued and downloaded", async () => {
  // The row as CreateMovie inserts it, a minute old, and no job: what a crash between the insert
  // and the enqueue leaves.
  const id = randomUUID();
  await database.query("INSERT INTO movies (id, title, source_url, created_at, updated_at) VALUES ($1, 'Stranded', $2, now() - interval '1 minute', now() - interval '1 minute')", [
    id,
    `${mirror.url}/files/stranded.mp4?size=20000`,
  ]);
  expect(await jobs.status(id)).toBeUndefined();
  const seen = await watchMovie(id, finished, 20_000);
  expect(seen.at(-1)).toMatchObject({ state: "READY", attempt: 1, progress: { bytes: "20000", percent: 100 } });
  expect(readFileSync(join(downloads, id)).equals(mirrorContent("stranded.mp4", 20_000))).toBe(true);
  expect(await jobs.status(id)).toMatchObject({ state: JobState.Completed, attempt: 1 });
  expect(engine.cli.logs.filter((line) => line.msg === "download had no job on its way: queued it").map((line) => line.movie)).toEqual([id]);
}, 30_000);

test("a movie whose engine stopped half-way through its enqueue (the job's record stored, its message not) is queued again and downloaded", async () => {
  const id = randomUUID();
  await database.query("INSERT INTO movies (id, title, source_url, created_at, updated_at) VALUES ($1, 'Half-queued', $2, now() - interval '1 minute', now() - interval '1 minute')", [
    id,
    `${mirror.url}/files/half-queued.mp4?size=20000`,
  ]);
  const store = await jobs.store();
  await store.create({ id, method: "DownloadMovie", state: JobState.Queued, run: "lost-run", attempt: 0, attempts: 4, encoding: "binary", enqueuedAt: new Date().toISOString() });
  const seen = await watchMovie(id, finished, 20_000);
  expect(seen.at(-1)).toMatchObject({ state: "READY", attempt: 1, progress: { bytes: "20000", percent: 100 } });
  expect(readFileSync(join(downloads, id)).equals(mirrorContent("half-queued.mp4", 20_000))).toBe(true);
  expect(await jobs.status(id)).toMatchObject({ state: JobState.Completed, attempt: 1 });
  expect(engine.cli.logs.filter((line) => line.msg === "download had no job on its way: queued it").map((line) => line.movie)).toContain(id);
}, 30_000);

test("a movie whose job ended without a word from its download (its worker killed in the last attempt, or the job cancelled) is marked FAILED", async () => {
  // The row as a download attempt leaves it when its process is killed, a minute old; its job,
  // waiting for a later attempt, is cancelled: the download will never say how it ended.
  const id = randomUUID();
  await database.query(
    "INSERT INTO movies (id, title, source_url, state, attempt, created_at, updated_at) VALUES ($1, 'Orphan', $2, 'downloading', 1, now() - interval '1 minute', now() - interval '1 minute')",
    [id, `${mirror.url}/files/orphan.mp4?size=1000`],
  );
  const job = await jobs.enqueue.downloadMovie({ id }, { id, notBefore: new Date(Date.now() + 3_600_000) });
  await job.cancel();
  const seen = await watchMovie(id, finished, 20_000);
  expect(seen.at(-1)).toMatchObject({ state: "FAILED", attempt: 1 });
  expect(seen.at(-1)?.error).toMatch(/cancelled/);
  expect(engine.cli.logs.filter((line) => line.msg === "download job ended without a word from its download: movie marked failed").map((line) => line.movie)).toEqual([id]);
}, 30_000);
