import { randomBytes } from "node:crypto";
import pg from "pg";

/** The machine's shared PostgreSQL server (trust authentication, user postgres). */
export const sharedPostgres = { host: "127.0.0.1", port: 5432 } as const;

/** A database of a test's own, on a PostgreSQL server. */
export interface TestDatabase {
  readonly name: string;
  /** `postgres://postgres@<host>:<port>/<name>` */
  readonly url: string;
  /** Runs one statement on the database through a short-lived connection, and returns its rows. */
  query<Row extends object = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<Row[]>;
  /** Drops the database, ending the connections still open to it. */
  drop(): Promise<void>;
}

/** Where {@link createTestDatabase} creates its database: a host and port where user postgres may connect. */
export interface PostgresAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Creates an empty database with a fresh name (`test_<prefix>_<random>`) on a server (the
 * machine's shared one unless told otherwise, or a private one of `startPostgresServer`).
 * Call {@link TestDatabase.drop} after the test.
 */
export async function createTestDatabase(prefix: string, server: PostgresAddress = sharedPostgres): Promise<TestDatabase> {
  const name = `test_${prefix.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`;
  const address = { host: server.host, port: server.port, user: "postgres", connectionTimeoutMillis: 5_000 };
  const onServer = async <T>(database: string, use: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ ...address, database });
    // A connection the server ends fails the query under way; the event would otherwise crash the test.
    client.on("error", () => undefined);
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  };
  // The name is made of [a-z0-9_] only, so it can be written into the statement as it is.
  await onServer("postgres", (client) => client.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: `postgres://postgres@${server.host}:${server.port}/${name}`,
    query: <Row extends object>(text: string, values: readonly unknown[] = []) =>
      onServer(name, async (client) => (await client.query<Row>(text, [...values])).rows),
    // FORCE (PostgreSQL 13 and later) ends the connections a service left open.
    drop: () => onServer("postgres", (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
