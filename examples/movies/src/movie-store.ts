import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, RpcError } from "nats-micro-runtime";
import type { Database } from "./database-pool.js";
import { Movie_State, MovieSchema, type Movie } from "./gen/movies/v1/movies_pb.js";
import { decodePageToken, encodePageToken } from "./page-token.js";

/** A row of `movies` as the engine reads it. */
interface MovieRow {
  id: string;
  title: string;
  description: string;
  source_url: string;
  state: "queued" | "downloading" | "ready" | "failed";
  bytes_done: string;
  bytes_total: string;
  error: string;
  attempt: number;
  version: number;
  created_at: Date;
  updated_at: Date;
  created_key: string;
}

const columns = "id, title, description, source_url, state, bytes_done, bytes_total, error, attempt, version, created_at, updated_at, created_at::text AS created_key";

const states: Readonly<Record<MovieRow["state"], Movie_State>> = {
  queued: Movie_State.QUEUED,
  downloading: Movie_State.DOWNLOADING,
  ready: Movie_State.READY,
  failed: Movie_State.FAILED,
};

/** The fields of a new movie. */
export interface NewMovie {
  readonly title: string;
  readonly description: string;
  readonly sourceUrl: string;
}

/** A page of the catalogue. */
export interface MoviePage {
  readonly movies: Movie[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

/**
 * The catalogue in PostgreSQL, as the Movies handlers use it. Every change is one statement, so
 * none reads a row and writes it back later: concurrent changes cannot lose one another. A
 * change of title or description bumps `version` and may require the version it was made from
 * (optimistic concurrency): a stale one is `aborted`. Failures are `RpcError`s (database-errors.ts).
 */
export interface MovieStore {
  list(pageSize: number, pageToken: string): Promise<MoviePage>;
  get(id: string): Promise<Movie>;
  insert(movie: NewMovie): Promise<Movie>;
  update(id: string, change: { title: string; description: string }, expectedVersion: number | undefined): Promise<Movie>;
  /** Deletes the movie and returns it as it was. */
  remove(id: string, expectedVersion: number | undefined): Promise<Movie>;
}

/** The catalogue of {@link MovieStore} on a database. */
export function createMovieStore(database: Database): MovieStore {
  // A change that matched no row: the movie is gone, or at another version.
  async function missedChange(id: string, expectedVersion: number | undefined): Promise<never> {
    const current = await database.query<{ version: number }>("SELECT version FROM movies WHERE id = $1", [id]);
    const row = current.rows[0];
    if (row === undefined) {
      throw notFound(id);
    }
    throw new RpcError(`movie ${id} is at version ${row.version}, not ${expectedVersion}: read it again and reapply the change`, Code.Aborted);
  }

  return {
    async list(pageSize, pageToken) {
      const limit = pageSize === 0 ? 20 : pageSize;
      const after = pageToken === "" ? undefined : decodePageToken(pageToken);
      // One more than the page, to know whether another follows.
      const result =
        after === undefined
          ? await database.query<MovieRow>(`SELECT ${columns} FROM movies ORDER BY created_at, id LIMIT $1`, [limit + 1])
          : await database.query<MovieRow>(`SELECT ${columns} FROM movies WHERE (created_at, id) > ($1::timestamptz, $2::uuid) ORDER BY created_at, id LIMIT $3`, [
              after.createdAt,
              after.id,
              limit + 1,
            ]);
      const rows = result.rows.slice(0, limit);
      const last = rows.at(-1);
      return {
        movies: rows.map(movieOf),
        nextPageToken: result.rows.length > limit && last !== undefined ? encodePageToken({ createdAt: last.created_key, id: last.id }) : "",
      };
    },

    async get(id) {
      const row = (await database.query<MovieRow>(`SELECT ${columns} FROM movies WHERE id = $1`, [id])).rows[0];
      if (row === undefined) {
        throw notFound(id);
      }
      return movieOf(row);
    },

    async insert(movie) {
      const result = await database.query<MovieRow>(`INSERT INTO movies (id, title, description, source_url) VALUES ($1, $2, $3, $4) RETURNING ${columns}`, [
        randomUUID(),
        movie.title,
        movie.description,
        movie.sourceUrl,
      ]);
      return movieOf(result.rows[0]!);
    },

    async update(id, change, expectedVersion) {
      const result = await database.query<MovieRow>(
        `UPDATE movies SET title = $2, description = $3, version = version + 1, updated_at = clock_timestamp()
         WHERE id = $1 AND ($4::integer IS NULL OR version = $4) RETURNING ${columns}`,
        [id, change.title, change.description, expectedVersion ?? null],
      );
      const row = result.rows[0];
      return row === undefined ? missedChange(id, expectedVersion) : movieOf(row);
    },

    async remove(id, expectedVersion) {
      const result = await database.query<MovieRow>(`DELETE FROM movies WHERE id = $1 AND ($2::integer IS NULL OR version = $2) RETURNING ${columns}`, [id, expectedVersion ?? null]);
      const row = result.rows[0];
      return row === undefined ? missedChange(id, expectedVersion) : movieOf(row);
    },
  };
}

/** `not_found` for a movie id. */
export function notFound(id: string): RpcError {
  return new RpcError(`movie ${id} not found`, Code.NotFound);
}

function movieOf(row: MovieRow): Movie {
  const bytes = BigInt(row.bytes_done);
  const total = BigInt(row.bytes_total);
  return create(MovieSchema, {
    id: row.id,
    title: row.title,
    description: row.description,
    sourceUrl: row.source_url,
    state: states[row.state],
    progress: {
      bytes,
      totalBytes: total,
      percent: row.state === "ready" ? 100 : total > 0n ? Math.min(100, Math.floor((Number(bytes) / Number(total)) * 1000) / 10) : 0,
    },
    error: row.error,
    attempt: row.attempt,
    version: row.version,
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
  });
}
