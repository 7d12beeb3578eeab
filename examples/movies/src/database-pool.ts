import pg from "pg";
import { databaseError } from "./database-errors.js";

/** Settings of {@link openDatabasePool}. */
export interface DatabasePoolSettings {
  /** A postgres:// URL. */
  readonly url: string;
  /** Connections at most. */
  readonly size: number;
  /** Told of a connection lost while idle (the pool replaces it); such errors are not thrown. */
  readonly onIdleError: (error: Error) => void;
}

/** The engine's database: queries that fail with an `RpcError` (database-errors.ts), never anything else. */
export interface Database {
  /** Runs one statement on any connection of the pool. */
  query<Row extends pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<Row>>;
  /** Closes every connection, once the last query has ended. */
  close(): Promise<void>;
}

/**
 * Opens a pool of connections to PostgreSQL that outlives a restart of the database: a connection
 * the server closes while idle is dropped from the pool (an `error` event that would otherwise
 * crash the process), a query that finds no server fails at once with `unavailable`, and the next
 * query opens a new connection. No connection is opened until the first query.
 */
export function openDatabasePool(settings: DatabasePoolSettings): Database {
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: settings.size,
    // A query waits this long for a free connection or a new one before it fails (unavailable):
    // well within a caller's 5 s deadline, so that the caller hears why.
    connectionTimeoutMillis: 2_000,
    // No statement of the engine takes long: one that does is stuck on a lock.
    statement_timeout: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: "movies-engine",
  });
  pool.on("error", settings.onIdleError);
  return {
    async query<Row extends pg.QueryResultRow>(text: string, values?: readonly unknown[]) {
      try {
        return await pool.query<Row>(text, values === undefined ? undefined : [...values]);
      } catch (error) {
        throw databaseError(error);
      }
    },
    close: () => pool.end(),
  };
}
