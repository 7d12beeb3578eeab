import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { createJobClient, type JobClient } from "nats-micro-runtime/jobs";
import { Downloads } from "../../examples/movies/src/gen/movies/v1/movies_pb.js";
import { startMirror, type Mirror } from "../../examples/movies/src/mirror-server.js";
import type { RunningCli } from "./cli-process.js";
import { migrateMovies, startMoviesEngine, startMoviesGateway, type MoviesProcess } from "./movies-app.js";
import { startNatsCluster, type NatsCluster } from "./nats-cluster.js";
import { startPostgresServer, type PostgresServer } from "./postgres-server.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

/** An engine instance (`movies engine serve --workers N --jobs`) and what its workers said when ready. */
export interface EngineInstance extends MoviesProcess {
  /** The cluster member it connected to. */
  readonly member: number;
  /** The instance ids of its Movies hosts, one per worker. */
  readonly moviesInstances: readonly string[];
  /** The instance ids of its Downloads hosts (the job workers), one per worker. */
  readonly downloadInstances: readonly string[];
}

/** A gateway instance (`movies gateway --workers N`). */
export interface GatewayInstance extends MoviesProcess {
  readonly member: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
}

/** The movies service as real processes on a JetStream cluster, PostgreSQL and a local mirror. */
export interface MoviesSystem {
  readonly cluster: NatsCluster;
  /** The private PostgreSQL server, when asked for (else the database is on the shared one). */
  readonly postgres: PostgresServer | undefined;
  readonly database: TestDatabase;
  readonly mirror: Mirror;
  /** A connection of the test's own (to the first member) and the Downloads job client on it. */
  readonly nc: NatsConnection;
  readonly downloads: JobClient<typeof Downloads>;
  /** Every engine and gateway instance started, running or not. */
  readonly engines: EngineInstance[];
  readonly gateways: GatewayInstance[];
  /** Starts an engine instance connected to cluster member `member` (0-based). */
  startEngine(member: number, workers?: number): Promise<EngineInstance>;
  /** Starts a gateway instance connected to cluster member `member`, on `port` (a free one unless set). */
  startGateway(member: number, workers?: number, port?: number): Promise<GatewayInstance>;
  /** Kills every process and removes the cluster, the database (and the private server) and the files. */
  stop(): Promise<void>;
}

// How often an engine looks for movies saved without their download job (an engine killed
// between the two), so that their downloads end within a test's time too.
const strandedCheckSeconds = 1;

// How long a stopping engine waits for its requests and downloads (`--drain-timeout`).
const engineDrainTimeoutMs = 10_000;

/** Options of {@link startMoviesSystem}. */
export interface MoviesSystemOptions {
  /** A name for the database. */
  readonly name: string;
  /** Runs the database on a private PostgreSQL server the test can restart (else the shared one). */
  readonly privatePostgres?: boolean;
  /** How long a killed engine's download stays taken before another runs it (`--job-lease`). */
  readonly jobLeaseMs: number;
}

/**
 * Starts the movies service's surroundings: a JetStream cluster of three members, a database
 * migrated by `movies migrate` (on the shared PostgreSQL, or a private one), and the mirror to
 * download from (in the test's process: it is no part of the service). Engines and gateways are
 * started by the test, each as a real process on the member it says. Call {@link MoviesSystem.stop}
 * after the test.
 */
export async function startMoviesSystem(options: MoviesSystemOptions): Promise<MoviesSystem> {
  const started: { stop(): Promise<unknown> }[] = [];
  // In the reverse order of their start, one after the other: the processes before the cluster
  // and the database, the database before its server.
  const stopStarted = async () => {
    for (const part of started.splice(0).reverse()) {
      await part.stop().catch(() => undefined);
    }
  };
  try {
    const postgres = options.privatePostgres === true ? await startPostgresServer() : undefined;
    if (postgres !== undefined) {
      started.push({ stop: () => postgres.remove() });
    }
    const database = await createTestDatabase(options.name, postgres);
    started.push({ stop: () => database.drop() });
    await migrateMovies(database.url);
    const cluster = await startNatsCluster(3, { jetStream: true });
    started.push(cluster);
    const mirror = await startMirror({ host: "127.0.0.1", port: 0 });
    started.push({ stop: () => mirror.close() });
    const downloadsDir = await mkdtemp(join(tmpdir(), "movies-downloads-"));
    started.push({ stop: () => rm(downloadsDir, { recursive: true, force: true }) });
    const nc = await connect({ servers: [...cluster.urls], noRandomize: true });
    started.push({ stop: () => nc.close() });
    const engines: EngineInstance[] = [];
    const gateways: GatewayInstance[] = [];
    started.push({ stop: () => Promise.all([...engines, ...gateways].map((instance) => instance.cli.kill())) });

    const serverOf = (member: number) => {
      const url = cluster.members[member]?.url;
      if (url === undefined) {
        throw new Error(`no cluster member ${member}`);
      }
      return url;
    };
    // Each process of an instance said which server it connected to: the member it was given.
    const expectOnMember = (cli: RunningCli, message: string, member: number) => {
      const address = `127.0.0.1:${cluster.members[member]!.ports.client}`;
      for (const line of cli.logs.filter((candidate) => candidate.msg === message)) {
        if (line["server"] !== address) {
          throw new Error(`process ${line.pid} connected to ${String(line["server"])}, not to member ${member} (${address})`);
        }
      }
    };
    return {
      cluster,
      postgres,
      database,
      mirror,
      nc,
      downloads: createJobClient(nc, Downloads),
      engines,
      gateways,
      async startEngine(member, workers = 2) {
        const engine = await startMoviesEngine({
          natsUrl: serverOf(member),
          databaseUrl: database.url,
          downloadsDir,
          workers,
          // A drain within the 15 s that stop() waits: downloads get 5 s of it to end, then go back to the queue.
          flags: ["--job-lease", String(options.jobLeaseMs), "--drain-timeout", String(engineDrainTimeoutMs)],
          env: { MOVIES_ENGINE_STRANDED_CHECK_SECONDS: String(strandedCheckSeconds) },
        });
        const serving = engine.cli.logs.filter((line) => line.msg === "serving");
        const instance = {
          ...engine,
          member,
          moviesInstances: serving.map((line) => String(line["instance"])),
          downloadInstances: serving.flatMap((line) =>
            (line["alsoServing"] as { service: string; instance: string }[]).filter((also) => also.service === "movies-downloads").map((also) => also.instance),
          ),
        };
        engines.push(instance);
        expectOnMember(engine.cli, "serving", member);
        return instance;
      },
      async startGateway(member, workers = 2, port = 0) {
        const gateway = await startMoviesGateway({ natsUrl: serverOf(member), workers, port });
        const instance = { ...gateway, member };
        gateways.push(instance);
        expectOnMember(gateway.cli, "gateway serving", member);
        return instance;
      },
      stop: async () => {
        await stopStarted();
      },
    };
  } catch (error) {
    await stopStarted();
    throw error;
  }
}
