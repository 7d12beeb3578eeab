#!/usr/bin/env node
// `make movies`: the movies service of seed 003 on this stack, on one machine. Creates the
// database when missing and migrates it (`movies migrate --create-database`), then starts a
// nats-server with JetStream of its own (127.0.0.1, a free port, its store in a temporary
// directory removed at exit), the mirror to download from (`movies mirror`), the engine
// (`movies engine serve --workers 2 --jobs`) and the gateway (`movies gateway --workers 2`);
// prints how to call it and runs until Ctrl-C (or SIGTERM), then stops everything: the gateway
// and the engine first, so that they drain while NATS is still up, then the rest.
//
// Settings: the environment variables of `movies --help` (MOVIES_DATABASE_URL, MOVIES_GATEWAY_PORT,
// MOVIES_MIRROR_PORT, MOVIES_ENGINE_DOWNLOADS_DIR, ...), or PORT for the gateway's port.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { superviseProcesses } from "../../../scripts/supervise-processes.mjs";

const movies = fileURLToPath(new URL("../bin/movies.js", import.meta.url));
const port = Number(process.env.PORT ?? process.env.MOVIES_GATEWAY_PORT ?? 8080);
const mirrorPort = Number(process.env.MOVIES_MIRROR_PORT ?? 8090);
const downloads = process.env.MOVIES_ENGINE_DOWNLOADS_DIR ?? fileURLToPath(new URL("../downloads", import.meta.url));

// The database first, in the foreground: nothing else is worth starting without it.
const migrated = spawnSync(process.execPath, [movies, "migrate", "--create-database"], { stdio: "inherit" });
if (migrated.status !== 0) {
  console.error("The database could not be set up (is PostgreSQL running on 127.0.0.1:5432? MOVIES_DATABASE_URL=... for another).");
  process.exit(migrated.status ?? 1);
}

const supervisor = superviseProcesses();

// The JetStream store, removed once every process has stopped (the supervisor exits then).
function jetStreamStore() {
  const directory = mkdtempSync(join(tmpdir(), "movies-jetstream-"));
  process.on("exit", () => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

supervisor.run(async () => {
  // Port -1: the server picks a free port and logs it.
  const server = supervisor.startServer("nats-server", "nats-server", ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", jetStreamStore()]);
  const listening = await supervisor.waitForLog(server, "nats-server", /Listening for client connections on [\d.]+:(\d+)/);
  if (supervisor.isStopping()) return;
  const natsUrl = `nats://127.0.0.1:${listening[1]}`;

  const nats = ["--server", natsUrl];
  supervisor.startServer("movies mirror", process.execPath, [movies, "mirror", "--port", String(mirrorPort)]);
  supervisor.startProgram("movies engine", process.execPath, [movies, "engine", "serve", "--workers", "2", "--jobs", "--downloads-dir", downloads, ...nats]);
  supervisor.startProgram("movies gateway", process.execPath, [movies, "gateway", "--port", String(port), "--workers", "2", ...nats]);

  // Ready when the gateway answers /readyz (it listens, and the engine answers $SRV.PING) and the
  // mirror its /healthz.
  const base = `http://127.0.0.1:${port}`;
  const mirror = `http://127.0.0.1:${mirrorPort}`;
  await supervisor.waitForHttp(`${mirror}/healthz`, `is port ${mirrorPort} taken? MOVIES_MIRROR_PORT=... make movies`);
  await supervisor.waitForHttp(`${base}/readyz`, `is port ${port} taken? PORT=... make movies`);
  if (supervisor.isStopping()) return;

  console.log(`Movies: gateway ${base} (2 processes), engine (2 processes, downloads into ${downloads}),
mirror ${mirror}, nats-server ${natsUrl} with JetStream.

  # add a movie (201, Location: /v1/movies/<id>); its 50 MB file downloads at 10 MB/s
  curl -i --json '{"title": "Night of the Living Dead", "source_url": "${mirror}/files/notld.mp4?size=50000000&rate=10000000"}' ${base}/v1/movies
  # watch it: state QUEUED, DOWNLOADING (progress), READY
  curl ${base}/v1/movies/<id>
  # list, a page at a time (next_page_token)
  curl '${base}/v1/movies?page_size=10'
  # change it, from the version read (409 if someone changed it since)
  curl -X PUT --json '{"title": "Night of the Living Dead (1968)", "version": 1}' ${base}/v1/movies/<id>
  curl -X DELETE ${base}/v1/movies/<id>
  # a download that fails twice then succeeds, and one that always fails (dead-lettered)
  curl --json '{"title": "Flaky", "source_url": "${mirror}/files/flaky?size=1000000&fail=2"}' ${base}/v1/movies
  curl --json '{"title": "Lost", "source_url": "${mirror}/files/lost?fail=always"}' ${base}/v1/movies
  node ${movies} downloads jobs dead ls --server ${natsUrl}
  curl ${base}/openapi.json

Ctrl-C stops it.`);
});
