import { resolve } from "node:path";
import type { HandlersLifetime } from "nats-micro-runtime/cli";
import { createLogger, logLevels, type LogLevel } from "nats-micro-runtime/cli";
import { createJobClient } from "nats-micro-runtime/jobs";
import { openDatabasePool } from "./database-pool.js";
import { createDownloadsHandlers } from "./download-movie.js";
import type { Config } from "./gen/movies/v1/config_pb.js";
import type { DownloadsHandlers, MoviesHandlers } from "./gen/movies/v1/movies_nats.js";
import { Downloads } from "./gen/movies/v1/movies_pb.js";
import { configFileVariable, loadConfig } from "./movies-config.js";
import { createMovieStore } from "./movie-store.js";
import { createMoviesHandlers } from "./movies-service.js";
import { startStrandedDownloadsCheck } from "./stranded-downloads.js";

/** The handlers of both services an engine process serves, on one database pool. */
export interface Engine {
  readonly movies: MoviesHandlers;
  readonly downloads: DownloadsHandlers;
}

// One engine per process (per `serve` lifetime): the Movies and Downloads handlers share it.
const engines = new WeakMap<HandlersLifetime, Engine>();

/**
 * Opens the engine of this process, once: the database pool, the Downloads job client (once
 * `serve` has connected to NATS) and the check of stranded downloads; `serve` closes them when
 * it has stopped (the pool last, after every request and job has ended).
 */
export function openEngine(config: Config, lifetime: HandlersLifetime): Engine {
  const opened = engines.get(lifetime);
  if (opened !== undefined) {
    return opened;
  }
  const level = logLevels.find((name) => name === process.env.LOG_LEVEL) ?? ("info" satisfies LogLevel);
  const logger = createLogger({ level, service: "movies" });
  const database = openDatabasePool({
    url: config.database!.url,
    size: config.database!.poolSize,
    onIdleError: (error) => logger.warn({ error: error.message }, "database connection lost while idle: the pool opens another when needed"),
  });
  lifetime.onStopped(() => database.close());
  const downloadsDir = resolve(config.engine!.downloadsDir);
  const jobs = lifetime.connection().then((nc) => createJobClient(nc, Downloads));
  const enqueueDownload = async (id: string) => {
    await (await jobs).enqueue.downloadMovie({ id }, { id });
  };
  const stopCheck = startStrandedDownloadsCheck({
    database,
    everyMs: config.engine!.strandedCheckSeconds * 1000,
    olderThanMs: config.engine!.strandedCheckSeconds * 2000,
    jobOf: async (id) => {
      const status = await (await jobs).status(id);
      return status && { state: status.state, attempt: status.attempt, error: status.error?.rawMessage };
    },
    enqueue: enqueueDownload,
    onRequeued: (id) => logger.warn({ movie: id }, "download had no job on its way: queued it"),
    onFailed: (id, jobState) => logger.warn({ movie: id, job: jobState }, "download job ended without a word from its download: movie marked failed"),
    onError: (error) => logger.warn({ error: error instanceof Error ? error.message : String(error) }, "check of stranded downloads failed: trying again later"),
  });
  lifetime.onStopped(stopCheck);
  const engine: Engine = {
    movies: createMoviesHandlers({
      store: createMovieStore(database),
      enqueueDownload,
      onEnqueueFailed: (id, error) =>
        logger.warn({ movie: id, error: error instanceof Error ? error.message : String(error) }, "movie saved, its download not queued: the check of stranded downloads will"),
      downloadsDir,
    }),
    downloads: createDownloadsHandlers({ database, downloadsDir }),
  };
  engines.set(lifetime, engine);
  return engine;
}

// The configuration of a `serve` started by the generated program alone (`runMoviesCli()`):
// the file that MOVIES_CONFIG names and the environment. `movies engine serve` passes its own.
function configFromEnvironment(): Config {
  return loadConfig({ file: process.env[configFileVariable] || undefined, env: process.env });
}

/** The Movies handlers of the generated `serve` (cli_handlers): the engine of this process. */
export function moviesHandlers(lifetime: HandlersLifetime): MoviesHandlers {
  return openEngine(configFromEnvironment(), lifetime).movies;
}

/** The Downloads handlers of the generated `serve` (cli_handlers): the engine of this process. */
export function downloadsHandlers(lifetime: HandlersLifetime): DownloadsHandlers {
  return openEngine(configFromEnvironment(), lifetime).downloads;
}
