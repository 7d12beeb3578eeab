// The baseline of the movies benchmark: GET /v1/movies/{id} and POST /v1/movies answered straight
// from PostgreSQL by node:http and pg in one process, the same statements as the engine's store
// (examples/movies/src/movie-store.ts) and replies of the gateway's shape (proto field names, every
// field). No NATS, no validation beyond what the statements need, and a POST queues no download
// (its movie is saved ready): what the same database work costs with nothing between the client
// and PostgreSQL.
// Run by the benchmark with the database URL as its argument.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { runServerProcess } from "../servers/server-process.js";

interface MovieRow {
  id: string;
  title: string;
  description: string;
  source_url: string;
  state: string;
  bytes_done: string;
  bytes_total: string;
  error: string;
  attempt: number;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const columns = "id, title, description, source_url, state, bytes_done, bytes_total, error, attempt, version, created_at, updated_at";
const moviePath = /^\/v1\/movies\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

await runServerProcess(async () => {
  const databaseUrl = process.argv[2];
  if (databaseUrl === undefined) {
    throw new Error("usage: serve-movies-baseline.js DATABASE_URL");
  }
  // The engine's pool size per process (movies.yaml, database.pool_size).
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, application_name: "movies-bench-baseline" });
  pool.on("error", () => undefined);
  const server = createServer((request, response) => {
    serve(pool, request, response).catch((error: unknown) => reply(response, 500, { message: error instanceof Error ? error.message : String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    stop: async () => {
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
      await pool.end();
    },
  };
});

async function serve(pool: pg.Pool, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const id = moviePath.exec(request.url ?? "")?.[1];
  if (request.method === "GET" && id !== undefined) {
    const row = (await pool.query<MovieRow>(`SELECT ${columns} FROM movies WHERE id = $1`, [id])).rows[0];
    if (row === undefined) {
      reply(response, 404, { code: "not_found", message: `movie ${id} not found` });
    } else {
      reply(response, 200, movieJson(row));
    }
    return;
  }
  if (request.method === "POST" && request.url === "/v1/movies") {
    const body = JSON.parse(await readBody(request)) as { title?: unknown; description?: unknown; source_url?: unknown };
    if (typeof body.title !== "string" || typeof body.source_url !== "string") {
      reply(response, 400, { code: "invalid_argument", message: "title and source_url are required" });
      return;
    }
    const description = typeof body.description === "string" ? body.description : "";
    // Ready at once: no download is queued for it, and a movie left queued would be found by the
    // engines' check of stranded downloads, which would queue its download in the middle of their runs.
    const inserted = await pool.query<MovieRow>(`INSERT INTO movies (id, title, description, source_url, state) VALUES ($1, $2, $3, $4, 'ready') RETURNING ${columns}`, [
      randomUUID(),
      body.title,
      description,
      body.source_url,
    ]);
    const row = inserted.rows[0]!;
    reply(response, 201, movieJson(row), { location: `/v1/movies/${row.id}` });
    return;
  }
  reply(response, 404, { code: "not_found", message: "not found" });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (text += chunk));
    request.once("end", () => resolve(text));
    request.once("error", reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers }).end(text);
}

// The gateway's JSON of a movie: proto field names, enums by name, 64-bit integers as strings.
function movieJson(row: MovieRow) {
  const done = Number(row.bytes_done);
  const total = Number(row.bytes_total);
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    source_url: row.source_url,
    state: row.state.toUpperCase(),
    progress: {
      bytes: row.bytes_done,
      total_bytes: row.bytes_total,
      percent: row.state === "ready" ? 100 : total > 0 ? Math.min(100, Math.floor((done / total) * 1000) / 10) : 0,
    },
    error: row.error,
    attempt: row.attempt,
    version: row.version,
    create_time: row.created_at.toISOString(),
    update_time: row.updated_at.toISOString(),
  };
}
