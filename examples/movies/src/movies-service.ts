import { rm } from "node:fs/promises";
import { HeaderName, type HandlerContext } from "nats-micro-runtime";
import { movieFilePath } from "./download-movie.js";
import type { MoviesHandlers } from "./gen/movies/v1/movies_nats.js";
import type { MovieStore } from "./movie-store.js";

/** What the Movies handlers need. */
export interface MoviesSettings {
  readonly store: MovieStore;
  /** Queues the download of a movie, as a job whose id is the movie's (so at most one per movie). */
  enqueueDownload(id: string): Promise<void>;
  /** Told that a movie was saved but its download could not be queued (the check of stranded downloads will). */
  onEnqueueFailed(id: string, error: unknown): void;
  /** Where the download worker puts files, to remove a deleted movie's. */
  readonly downloadsDir: string;
}

/**
 * The Movies handlers: the catalogue's REST API (movies.proto) over the store. Requests arrive
 * validated by their buf.validate rules (the host's validation interceptor).
 */
export function createMoviesHandlers(settings: MoviesSettings): MoviesHandlers {
  const { store } = settings;
  return {
    listMovies: (request) => store.list(request.pageSize, request.pageToken),

    // The movie is saved first, then its download queued. A crash or a JetStream failure between
    // the two leaves a movie QUEUED without a job: the engine's check of stranded downloads
    // (stranded-downloads.ts) queues it within a minute, and the caller has its movie either way.
    async createMovie(request, context: HandlerContext) {
      const movie = await store.insert({ title: request.title, description: request.description, sourceUrl: request.sourceUrl });
      try {
        await settings.enqueueDownload(movie.id);
      } catch (error) {
        settings.onEnqueueFailed(movie.id, error);
      }
      context.responseHeader.set(HeaderName.HttpStatus, "201");
      context.responseHeader.set("location", `/v1/movies/${movie.id}`);
      return movie;
    },

    getMovie: (request) => store.get(request.id),

    updateMovie: (request) => store.update(request.id, { title: request.title, description: request.description }, request.version),

    async deleteMovie(request) {
      await store.remove(request.id, request.version);
      // A download under way sees the movie gone at its next progress report and stops.
      await rm(movieFilePath(settings.downloadsDir, request.id), { force: true });
      return {};
    },
  };
}
