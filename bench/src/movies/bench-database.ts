import { randomBytes } from "node:crypto";
import pg from "pg";
import { processCpuMs } from "../process-cpu.js";
import { migrateMoviesDatabase } from "./movies-rig.js";

/** The benchmark's own database on the machine's PostgreSQL, and what the benchmark reads of it. */
export interface BenchDatabase {
  /** `movies_bench_<pid>_<random>`. */
  readonly name: string;
  /** `postgres://.../<name>`, for the engine and the baseline. */
  readonly url: string;
  /** `SELECT version()`. */
  readonly serverVersion: string;
  /** The ids of every movie now. */
  movieIds(): Promise<string[]>;
  /** Movies whose download has not ended (queued or downloading), those whose download failed, and those that took more than one attempt. */
  downloads(): Promise<DownloadCounts>;
  /** CPU of the server's processes now (see {@link PostgresCpu}). */
  cpu(): Promise<PostgresCpuSnapshot>;
  /** Closes the benchmark's connection. */
  close(): Promise<void>;
}

/** How the downloads of every movie stand. */
export interface DownloadCounts {
  pending: number;
  failed: number;
  retried: number;
}

/** CPU time (milliseconds) of each PostgreSQL process now, from `/proc`, by pid. */
export interface PostgresCpuSnapshot {
  /** Backends of the benchmark's database (the engine's and the baseline's connections, its autovacuum). */
  readonly database: ReadonlyMap<number, number>;
  /** The server's own processes, of no database (WAL writer, checkpointer, background writer ...). */
  readonly background: ReadonlyMap<number, number>;
}

/** CPU (milliseconds) PostgreSQL used between two snapshots. */
export interface PostgresCpu {
  databaseMs: number;
  /** Shared with whatever else uses the server at the time. */
  backgroundMs: number;
  /** Backends of the database that ended between the snapshots: their CPU since the first is missing. */
  endedBackends: number;
}

/** A name for the benchmark's database that no one else uses: `movies_bench_<pid>_<random>`. */
export function benchDatabaseName(): string {
  return `movies_bench_${process.pid}_${randomBytes(4).toString("hex")}`;
}

/** The URL of database `name` on the server at `serverUrl` (`postgres://postgres@127.0.0.1:5432`). */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.href;
}

/**
 * Creates the benchmark's database `name` with `movies migrate --create-database` on the server at
 * `serverUrl` and opens one connection to it for the benchmark's readings. Call
 * {@link BenchDatabase.close}, then {@link dropBenchDatabase} (which the caller should arrange
 * before calling this, so that a failure or Ctrl-C half-way leaves nothing behind).
 */
export async function openBenchDatabase(serverUrl: string, name: string): Promise<BenchDatabase> {
  const url = databaseUrl(serverUrl, name);
  await migrateMoviesDatabase(url);
  const client = new pg.Client({ connectionString: url, application_name: "movies-bench" });
  // Ended by the server when the database is dropped: nothing to do about it then.
  client.on("error", () => undefined);
  await client.connect();
  const serverVersion = (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version;
  return {
    name,
    url,
    serverVersion,
    async movieIds() {
      return (await client.query<{ id: string }>("SELECT id FROM movies ORDER BY created_at, id")).rows.map((row) => row.id);
    },
    async downloads() {
      const row = (
        await client.query<{ pending: string; failed: string; retried: string }>(
          `SELECT count(*) FILTER (WHERE state IN ('queued', 'downloading')) AS pending, count(*) FILTER (WHERE state = 'failed') AS failed,
             count(*) FILTER (WHERE attempt > 1) AS retried FROM movies`,
        )
      ).rows[0]!;
      return { pending: Number(row.pending), failed: Number(row.failed), retried: Number(row.retried) };
    },
    async cpu() {
      // This connection's own backend is left out: it only takes the readings.
      const rows = (
        await client.query<{ pid: number; ours: boolean }>(
          "SELECT pid, datname IS NOT NULL AS ours FROM pg_stat_activity WHERE (datname = current_database() OR datname IS NULL) AND pid <> pg_backend_pid()",
        )
      ).rows;
      const database = new Map<number, number>();
      const background = new Map<number, number>();
      for (const row of rows) {
        try {
          (row.ours ? database : background).set(row.pid, processCpuMs(row.pid));
        } catch {
          // Ended between the query and the reading.
        }
      }
      return { database, background };
    },
    close: () => client.end().catch(() => undefined),
  };
}

/** Why the PostgreSQL server at `serverUrl` cannot be used (it does not answer within a few seconds), or undefined when it can. */
export async function postgresUnavailable(serverUrl: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: serverUrl, application_name: "movies-bench", connectionTimeoutMillis: 3_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${serverUrl} does not answer (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops database `name` if it exists, `WITH (FORCE)`: connections still open to it are ended. */
export async function dropBenchDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl, application_name: "movies-bench" });
  admin.on("error", () => undefined);
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * The CPU PostgreSQL used between two snapshots: a process in the second and not the first
 * started in between, and all its CPU counts.
 */
export function postgresCpuBetween(before: PostgresCpuSnapshot, after: PostgresCpuSnapshot): PostgresCpu {
  const used = (first: ReadonlyMap<number, number>, second: ReadonlyMap<number, number>) => {
    let total = 0;
    for (const [pid, ms] of second) {
      total += ms - (first.get(pid) ?? 0);
    }
    return total;
  };
  return {
    databaseMs: used(before.database, after.database),
    backgroundMs: used(before.background, after.background),
    endedBackends: [...before.database.keys()].filter((pid) => !after.database.has(pid)).length,
  };
}
