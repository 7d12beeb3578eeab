// The movies example's REST API (seed 003) end to end: the gateway (`movies gateway --workers 2`)
// and the engine (`movies engine serve --workers 2 --jobs`) as real processes, on a real
// nats-server with JetStream and a PostgreSQL database of this file's own, migrated by
// `movies migrate`. CRUD round trips, 201 with Location, 400 with the violations, 404s,
// pagination over several pages, and concurrent PUTs from stale versions: none lost.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateMovies, startMoviesEngine, startMoviesGateway, startMoviesMirror, type MoviesProcess } from "../helpers/movies-app.js";
import { startNatsProcess, type NatsProcess } from "../helpers/nats-cluster.js";
import { createTestDatabase, type TestDatabase } from "../helpers/test-database.js";

interface Movie {
  id: string;
  title: string;
  description: string;
  source_url: string;
  state: string;
  progress: { bytes: string; total_bytes: string; percent: number };
  error: string;
  attempt: number;
  version: number;
  create_time: string;
  update_time: string;
}

interface Reply<Body = unknown> {
  status: number;
  headers: Headers;
  body: Body;
}

let server: NatsProcess;
let database: TestDatabase;
let downloads: string;
let mirror: MoviesProcess & { url: string };
let engine: MoviesProcess;
let gateway: MoviesProcess & { url: string };

beforeAll(async () => {
  [server, database] = await Promise.all([startNatsProcess({ name: "movies-api", jetStream: true }), createTestDatabase("movies_api")]);
  downloads = mkdtempSync(join(tmpdir(), "movies-api-"));
  await migrateMovies(database.url);
  mirror = await startMoviesMirror();
  [engine, gateway] = await Promise.all([
    startMoviesEngine({ natsUrl: server.url, databaseUrl: database.url, downloadsDir: downloads, workers: 2 }),
    startMoviesGateway({ natsUrl: server.url, workers: 2 }),
  ]);
}, 60_000);

afterAll(async () => {
  // Stopped with SIGTERM, as a deployment stops them: each drains and exits 0.
  const codes = await Promise.all([gateway?.stop(), engine?.stop()]);
  await mirror?.stop();
  await server?.stop();
  await database?.drop();
  rmSync(downloads, { recursive: true, force: true });
  expect(codes).toEqual([0, 0]);
}, 30_000);

async function call<Body = Movie>(method: string, path: string, body?: unknown): Promise<Reply<Body>> {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === "" ? undefined : JSON.parse(text)) as Body };
}

// A small file that downloads at once; each movie its own name.
const source = (name: string) => `${mirror.url}/files/${name}?size=1000`;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("a movie round trip: POST is 201 with Location, GET reads it, PUT changes it, DELETE removes it", async () => {
  const created = await call("POST", "/v1/movies", { title: "Night of the Living Dead", description: "1968", source_url: source("round-trip") });
  expect(created.status).toBe(201);
  expect(created.body.id).toMatch(uuid);
  expect(created.headers.get("location")).toBe(`/v1/movies/${created.body.id}`);
  expect(created.body).toMatchObject({ title: "Night of the Living Dead", description: "1968", source_url: source("round-trip"), state: "QUEUED", version: 1, error: "", attempt: 0 });

  const read = await call("GET", created.headers.get("location")!);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ id: created.body.id, title: "Night of the Living Dead", version: 1 });

  const updated = await call("PUT", `/v1/movies/${created.body.id}`, { title: "Night of the Living Dead (1968)", description: "Romero", version: 1 });
  expect(updated.status).toBe(200);
  expect(updated.body).toMatchObject({ title: "Night of the Living Dead (1968)", description: "Romero", version: 2, source_url: source("round-trip") });
  expect(Date.parse(updated.body.update_time)).toBeGreaterThanOrEqual(Date.parse(created.body.update_time));
  expect((await call("GET", `/v1/movies/${created.body.id}`)).body).toMatchObject({ title: "Night of the Living Dead (1968)", version: 2 });
  // The row is what the API says.
  expect(await database.query("SELECT title, description, version FROM movies WHERE id = $1", [created.body.id])).toEqual([
    { title: "Night of the Living Dead (1968)", description: "Romero", version: 2 },
  ]);

  const deleted = await call<Record<string, never>>("DELETE", `/v1/movies/${created.body.id}`);
  expect(deleted).toMatchObject({ status: 200, body: {} });
  expect((await call("GET", `/v1/movies/${created.body.id}`)).status).toBe(404);
  expect(await database.query("SELECT id FROM movies WHERE id = $1", [created.body.id])).toEqual([]);
});

test("a PUT without a version applies whatever the version, and bumps it", async () => {
  const created = await call("POST", "/v1/movies", { title: "Nosferatu", source_url: source("unversioned") });
  await call("PUT", `/v1/movies/${created.body.id}`, { title: "Nosferatu (1922)", version: 1 });
  const updated = await call("PUT", `/v1/movies/${created.body.id}`, { title: "Nosferatu, a Symphony of Horror" });
  expect(updated.status).toBe(200);
  expect(updated.body).toMatchObject({ title: "Nosferatu, a Symphony of Horror", description: "", version: 3 });
});

type Violations = { code: number; message: string; details: { "@type": string; violations: { ruleId: string; message: string }[] }[] };

test.each([
  ["an empty title", "POST", "/v1/movies", { title: "", source_url: "http://127.0.0.1/a" }, ["title.blank"]],
  ["a title of white space", "POST", "/v1/movies", { title: " \t ", source_url: "http://127.0.0.1/a" }, ["title.blank"]],
  ["a title over 200 characters", "POST", "/v1/movies", { title: "x".repeat(201), source_url: "http://127.0.0.1/a" }, ["string.max_len"]],
  ["an ftp source", "POST", "/v1/movies", { title: "a", source_url: "ftp://127.0.0.1/a" }, ["source_url.http"]],
  ["a source that is no URL", "POST", "/v1/movies", { title: "a", source_url: "not a url" }, ["string.uri", "source_url.http"]],
  ["a page size over 100", "GET", "/v1/movies?page_size=101", undefined, ["int32.gte_lte"]],
  ["a negative page size", "GET", "/v1/movies?page_size=-1", undefined, ["int32.gte_lte"]],
  ["an id that is no UUID (GET)", "GET", "/v1/movies/42", undefined, ["string.uuid"]],
  ["an id that is no UUID (PUT)", "PUT", "/v1/movies/42", { title: "a" }, ["string.uuid"]],
  ["an id that is no UUID (DELETE)", "DELETE", "/v1/movies/42", undefined, ["string.uuid"]],
  ["a version of 0", "PUT", "/v1/movies/00000000-0000-4000-8000-000000000000", { title: "a", version: 0 }, ["int32.gte"]],
])("%s is 400 with the violations, and saves nothing", async (_name, method, path, body, ruleIds) => {
  const before = await database.query<{ count: string }>("SELECT count(*) FROM movies");
  const reply = await call<Violations>(method, path, body);
  expect(reply.status).toBe(400);
  expect(reply.body.code).toBe(3);
  const violations = reply.body.details.find((detail) => detail["@type"] === "type.googleapis.com/buf.validate.Violations")?.violations ?? [];
  expect(violations.map((violation) => violation.ruleId).sort()).toEqual([...ruleIds].sort());
  expect(await database.query("SELECT count(*) FROM movies")).toEqual(before);
});

test.each([
  ["malformed JSON", "{", /JSON|json/],
  ["an unknown field", JSON.stringify({ title: "a", source_url: "http://127.0.0.1/a", rating: 5 }), /rating/],
  ["a title of the wrong type", JSON.stringify({ title: 5, source_url: "http://127.0.0.1/a" }), /title/],
])("a body with %s is 400", async (_name, body, message) => {
  const reply = await call<{ code: number; message: string }>("POST", "/v1/movies", body);
  expect(reply.status).toBe(400);
  expect(reply.body.message).toMatch(message);
});

test("an unknown id is 404 not_found for GET, PUT and DELETE", async () => {
  const id = "6f1c1b1e-8a9e-4c59-9d6a-3b7f8a7f0c11";
  for (const [method, body] of [
    ["GET", undefined],
    ["PUT", { title: "a" }],
    ["PUT", { title: "a", version: 3 }],
    ["DELETE", undefined],
  ] as const) {
    const reply = await call<{ code: number; message: string }>(method, `/v1/movies/${id}`, body);
    expect([method, reply.status, reply.body.code]).toEqual([method, 404, 5]);
    expect(reply.body.message).toBe(`movie ${id} not found`);
  }
});

test("the list pages through every movie, oldest first, with next_page_token", async () => {
  // Fresh movies of their own, then the pages from the first of them on.
  const titles = Array.from({ length: 45 }, (_, index) => `page-movie-${String(index).padStart(2, "0")}`);
  const created: Movie[] = [];
  for (const title of titles) {
    const reply = await call("POST", "/v1/movies", { title, source_url: source(title) });
    expect(reply.status).toBe(201);
    created.push(reply.body);
  }
  const listed: Movie[] = [];
  const sizes: number[] = [];
  let token = "";
  for (let page = 0; page < 20; page++) {
    const reply = await call<{ movies: Movie[]; next_page_token: string }>("GET", `/v1/movies?page_size=20${token === "" ? "" : `&page_token=${encodeURIComponent(token)}`}`);
    expect(reply.status).toBe(200);
    sizes.push(reply.body.movies.length);
    listed.push(...reply.body.movies);
    token = reply.body.next_page_token;
    if (token === "") {
      break;
    }
  }
  expect(token).toBe("");
  const count = Number((await database.query<{ count: string }>("SELECT count(*) FROM movies"))[0]!.count);
  expect(listed).toHaveLength(count);
  expect(new Set(listed.map((movie) => movie.id)).size).toBe(count);
  expect(sizes.slice(0, -1).every((size) => size === 20)).toBe(true);
  // The fresh movies are the last ones, in the order they were created.
  expect(listed.slice(-45).map((movie) => movie.title)).toEqual(titles);
  expect(listed.slice(-45).map((movie) => movie.id)).toEqual(created.map((movie) => movie.id));
  // Without page_size, pages of 20.
  expect((await call<{ movies: Movie[] }>("GET", "/v1/movies")).body.movies).toHaveLength(20);
  // A token this list did not write is 400.
  expect((await call("GET", "/v1/movies?page_token=bm90LWEtdG9rZW4")).status).toBe(400);
}, 30_000);

test("PUTs from the same stale version: exactly one applies, the others are 409 aborted and change nothing", async () => {
  const created = await call("POST", "/v1/movies", { title: "The Cabinet of Dr. Caligari", source_url: source("stale") });
  const replies = await Promise.all(
    Array.from({ length: 10 }, (_, index) => call<Movie & { code: number }>("PUT", `/v1/movies/${created.body.id}`, { title: `writer-${index}`, version: 1 })),
  );
  const applied = replies.filter((reply) => reply.status === 200);
  expect(applied).toHaveLength(1);
  expect(replies.filter((reply) => reply.status === 409 && reply.body.code === 10)).toHaveLength(9);
  const stored = await call("GET", `/v1/movies/${created.body.id}`);
  expect(stored.body).toMatchObject({ title: applied[0]!.body.title, version: 2 });
  // A stale DELETE is refused too, and the movie stays.
  expect((await call("DELETE", `/v1/movies/${created.body.id}?version=1`)).status).toBe(409);
  expect((await call("GET", `/v1/movies/${created.body.id}`)).status).toBe(200);
});

test("writers that read, change and retry on 409 all land: no write is lost", async () => {
  const created = await call("POST", "/v1/movies", { title: "Metropolis", description: "", source_url: source("writers") });
  const id = created.body.id;
  // Each writer appends its mark to the description, from the version it read: a lost update
  // would drop a mark.
  const writers = 12;
  const conflicts: number[] = [];
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const read = await call("GET", `/v1/movies/${id}`);
        const reply = await call("PUT", `/v1/movies/${id}`, { title: read.body.title, description: `${read.body.description}[${writer}]`, version: read.body.version });
        if (reply.status === 200) {
          return;
        }
        expect(reply.status).toBe(409);
        conflicts.push(writer);
      }
      throw new Error(`writer ${writer} never got its change in`);
    }),
  );
  const final = await call("GET", `/v1/movies/${id}`);
  expect(final.body.version).toBe(1 + writers);
  const marks = [...final.body.description.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1])).sort((a, b) => a - b);
  expect(marks).toEqual(Array.from({ length: writers }, (_, writer) => writer));
}, 30_000);

test("the gateway serves the plugin's OpenAPI document of the API", async () => {
  const reply = await call<{ openapi: string; paths: Record<string, unknown> }>("GET", "/openapi.json");
  expect(reply.status).toBe(200);
  expect(Object.keys(reply.body.paths)).toEqual(expect.arrayContaining(["/v1/movies", "/v1/movies/{id}"]));
});
