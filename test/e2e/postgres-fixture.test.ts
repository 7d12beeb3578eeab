// The PostgreSQL fixtures the failure tests rely on: a private server that a test stops, kills and
// restarts for real (same port, same data, every connection ended), and a database of a test's own
// on the machine's shared server or on the private one, dropped after.
import pg from "pg";
import { startPostgresServer, type PostgresServer } from "../helpers/postgres-server.js";
import { createTestDatabase, type TestDatabase } from "../helpers/test-database.js";

let postgres: PostgresServer | undefined;
const databases: TestDatabase[] = [];

afterEach(async () => {
  await Promise.all(databases.splice(0).map((database) => database.drop()));
});

afterAll(async () => {
  await postgres?.remove();
});

/** Whether a database of that name exists on the server at `url`. */
async function databaseExists(url: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

test("a private server keeps its data across a restart and a kill, on the same port, and ends its connections on each", async () => {
  postgres = await startPostgresServer();
  expect(postgres.port).not.toBe(5432);
  const database = await createTestDatabase("fixture", postgres);
  databases.push(database);
  expect(database.url).toBe(postgres.url(database.name));
  await database.query("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)");
  await database.query("INSERT INTO notes VALUES (1, 'before the restart')");
  // The test settings are the server's.
  expect(await database.query("SHOW fsync")).toEqual([{ fsync: "off" }]);

  const held = new pg.Client({ connectionString: database.url });
  // The server says it is shutting down, then the socket closes: an error event for each.
  const ended = new Promise<Error>((resolve) => held.on("error", resolve));
  await held.connect();
  const portBefore = postgres.port;
  await postgres.restart();
  expect(postgres.running()).toBe(true);
  expect(postgres.port).toBe(portBefore);
  // The connection held across the restart was ended by the server, not left hanging.
  expect((await ended).message).toMatch(/terminat|shut ?down|Connection terminated/i);
  await held.end().catch(() => undefined);

  await database.query("INSERT INTO notes VALUES (2, 'after the restart')");
  await postgres.kill();
  expect(postgres.running()).toBe(false);
  await expect(database.query("SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
  await postgres.start();
  expect(await database.query("SELECT id, body FROM notes ORDER BY id")).toEqual([
    { id: 1, body: "before the restart" },
    { id: 2, body: "after the restart" },
  ]);
  await expect(postgres.start()).rejects.toThrow(/running already/);
}, 60_000);

test("a database of a test's own on the shared server is created empty and dropped, even with a connection left open", async () => {
  const database = await createTestDatabase("fixture");
  expect(database.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:5432\/test_fixture_[0-9a-f]{8}$/);
  expect(await database.query("SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname = 'public'")).toEqual([{ tables: 0 }]);
  const leftOpen = new pg.Client({ connectionString: database.url });
  leftOpen.on("error", () => undefined);
  await leftOpen.connect();
  await database.drop();
  await leftOpen.end().catch(() => undefined);
  expect(await databaseExists("postgres://postgres@127.0.0.1:5432/postgres", database.name)).toBe(false);
});
