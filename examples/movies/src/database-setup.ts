import { fileURLToPath } from "node:url";
import pg from "pg";
import { runner } from "node-pg-migrate";
import { databaseError } from "./database-errors.js";

/** The example's migrations: versioned SQL files, applied in the order of their names. */
export const migrationsDirectory = fileURLToPath(new URL("../migrations", import.meta.url));

/**
 * Creates the database that `url` names when it does not exist, connecting to the server's
 * `postgres` database to do so. Resolves with whether it created it. Failures are `RpcError`s.
 */
export async function createDatabaseIfMissing(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (name === "") {
    throw databaseError(new Error(`the database URL names no database: ${url}`));
  }
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 1) {
      return false;
    }
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } catch (error) {
      // Another process created it meanwhile.
      if ((error as { code?: string }).code === "42P04") {
        return false;
      }
      throw error;
    }
    return true;
  } catch (error) {
    throw databaseError(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Applies the migrations not applied yet (`up`), or undoes the last `count` (`down`), in one
 * transaction, under node-pg-migrate's advisory lock (two processes migrating at once: one
 * waits). Resolves with the names of the migrations run. Failures are `RpcError`s.
 */
export async function migrateDatabase(url: string, direction: "up" | "down" = "up", count?: number): Promise<string[]> {
  try {
    const migrations = await runner({
      databaseUrl: { connectionString: url, connectionTimeoutMillis: 5_000 },
      dir: migrationsDirectory,
      migrationsTable: "pgmigrations",
      direction,
      count: count ?? (direction === "up" ? Infinity : 1),
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: "wait",
      log: () => undefined,
    });
    return migrations.map((migration) => migration.name);
  } catch (error) {
    throw databaseError(error);
  }
}
