import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "undici";

/** The requests of the movies REST API that the load makes. */
export type MovieOperation = "create" | "get" | "update" | "list" | "delete";

/** How one request of the load ended. Times are `performance.now()` milliseconds. */
export interface MovieRequestOutcome {
  readonly client: number;
  readonly operation: MovieOperation;
  /** The movie the request was about (a create's once answered). */
  readonly movieId: string | undefined;
  /** The HTTP status; undefined when no answer came (see `failure`). */
  readonly status: number | undefined;
  /** The body's `code` (a `google.rpc.Status` number) when the request failed with a JSON error. */
  readonly grpcCode: number | undefined;
  /** The error body's message, or why no answer came (`deadline`: none within the request's deadline). */
  readonly failure: string | undefined;
  /** The response body, when it was not the JSON the operation answers. */
  readonly body: string | undefined;
  readonly sentAt: number;
  readonly settledAt: number;
}

/** What the database must hold for one movie a client created, from the answers it had. */
export interface MovieExpectation {
  readonly id: string;
  readonly client: number;
  readonly sourceUrl: string;
  /** The movie as last acknowledged (the create's answer, then each update's). */
  acknowledged: { title: string; description: string; version: number };
  /** An acknowledged delete: the movie must be gone. */
  deleted: boolean;
  /**
   * A write whose answer did not come or was a failure: it may have been applied or not. The
   * client leaves the movie alone from then on, so the database holds one of the two.
   */
  unsettled: { title: string; description: string } | "delete" | undefined;
}

/** A create that was not acknowledged: the movie may exist or not, at most once. */
export interface UnsettledCreate {
  readonly client: number;
  readonly title: string;
}

/** Options of {@link startMoviesLoad}. */
export interface MoviesLoadOptions {
  /** The gateway's URL, `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  /** HTTP clients, each with a connection of its own, each sending one request at a time. */
  readonly clients: number;
  /** The most requests each client sends, whatever the time. */
  readonly maxRequestsPerClient: number;
  /** A client's pause between two requests. */
  readonly pauseMs: number;
  /** A request without an answer after this long is given up as hung (`failure: "deadline"`). */
  readonly requestDeadlineMs: number;
  /** The source URL of the movie a client creates (`n` counts the client's creates). */
  sourceUrl(client: number, n: number): string;
}

/** A load that is running; {@link stop} ends it. */
export interface MoviesLoad {
  /** Outcomes of the requests settled so far, in the order they settled. */
  readonly outcomes: readonly MovieRequestOutcome[];
  /** Every movie whose create was acknowledged, by id. */
  readonly movies: ReadonlyMap<string, MovieExpectation>;
  /** Creates that were not acknowledged. */
  readonly unsettledCreates: readonly UnsettledCreate[];
  /**
   * Answers that contradict an earlier acknowledged answer: a read of a movie the client alone
   * writes that does not show its last acknowledged write, a version that did not go up by one.
   */
  readonly contradictions: readonly string[];
  /** When each client's request under way, if any, was sent (`performance.now()` milliseconds). */
  pendingSince(): number[];
  /** Resolves once `count` requests sent after `since` (a `performance.now()` time) have settled; rejects after `timeoutMs`. */
  waitForRequestsAfter(since: number, count: number, timeoutMs?: number): Promise<void>;
  /** Stops sending and resolves once every client's request under way has settled. */
  stop(): Promise<void>;
}

// The order of a client's requests, round and round: more reads than writes, every kind of each.
const cycle: readonly MovieOperation[] = ["create", "get", "update", "list", "create", "get", "update", "get", "delete", "list"];

/** The JSON of a movie, as the movies gateway answers it (the proto's field names). */
interface MovieJson {
  id: string;
  title: string;
  description: string;
  source_url: string;
  version: number;
}

/**
 * Starts `clients` HTTP clients (undici, a connection each) that send the movies API a mixed load
 * (create, get, update with the version, list, delete with the version) until stopped or each
 * has sent `maxRequestsPerClient`; records how each request ended and what each acknowledged
 * write means for the database, to check with {@link checkMoviesTable} afterwards. Each client writes
 * only the movies it created, so every answer can be checked against the client's own ledger.
 */
export function startMoviesLoad(options: MoviesLoadOptions): MoviesLoad {
  const outcomes: MovieRequestOutcome[] = [];
  const movies = new Map<string, MovieExpectation>();
  const unsettledCreates: UnsettledCreate[] = [];
  const contradictions: string[] = [];
  let stopping = false;
  // The send time of each client's request under way.
  const pending = new Map<number, number>();

  const runClient = async (client: number) => {
    const http = new Client(options.baseUrl, { headersTimeout: options.requestDeadlineMs, bodyTimeout: options.requestDeadlineMs, connect: { timeout: options.requestDeadlineMs } });
    // The movies this client created and may still write.
    const owned: MovieExpectation[] = [];
    let creates = 0;
    try {
      for (let step = 0; step < options.maxRequestsPerClient && !stopping; step++) {
        let operation = cycle[step % cycle.length]!;
        if (operation !== "create" && operation !== "list" && owned.length === 0) {
          operation = "create";
        }
        // Writes go to the client's newest movie, reads to any of its movies.
        const movie = operation === "get" ? owned[step % owned.length] : owned.at(-1);
        const sentAt = performance.now();
        let answered = true;
        const record = (status: number | undefined, movieId: string | undefined, failure?: string, grpcCode?: number, body?: string) => {
          answered = status !== undefined;
          outcomes.push({ client, operation, movieId, status, grpcCode, failure, body, sentAt, settledAt: performance.now() });
        };
        const send = async (method: "GET" | "POST" | "PUT" | "DELETE", path: string, json?: unknown) => {
          pending.set(client, performance.now());
          try {
            const response = await http.request({
              method,
              path,
              headers: json === undefined ? {} : { "content-type": "application/json" },
              ...(json === undefined ? {} : { body: JSON.stringify(json) }),
              signal: AbortSignal.timeout(options.requestDeadlineMs),
            });
            return { status: response.statusCode, text: await response.body.text() };
          } catch (error) {
            // Read by name, not instanceof: Node's own errors come from another realm than the test's.
            const { name = "", code = "", message = String(error) } = error as { name?: string; code?: string; message?: string };
            const deadline = name === "TimeoutError" || name === "HeadersTimeoutError" || name === "BodyTimeoutError" || name === "AbortError";
            return { status: undefined, text: deadline ? "deadline" : `${code || name}: ${message}` };
          } finally {
            pending.delete(client);
          }
        };
        // A failed answer: its status and its google.rpc.Status, or the reason no answer came.
        const failed = (answer: { status: number | undefined; text: string }, movieId: string | undefined) => {
          if (answer.status === undefined) {
            record(undefined, movieId, answer.text);
            return;
          }
          const error = parseJson<{ code?: unknown; message?: unknown }>(answer.text);
          const code = typeof error?.code === "number" ? error.code : undefined;
          const message = typeof error?.message === "string" ? error.message : undefined;
          record(answer.status, movieId, message, code, code === undefined ? answer.text : undefined);
        };

        switch (operation) {
          case "create": {
            creates += 1;
            const title = `load ${client}.${creates}`;
            const request = { title, description: `created by client ${client}`, source_url: options.sourceUrl(client, creates) };
            const answer = await send("POST", "/v1/movies", request);
            const created = answer.status === 201 ? parseJson<MovieJson>(answer.text) : undefined;
            if (created === undefined || typeof created.id !== "string") {
              unsettledCreates.push({ client, title });
              failed(answer, undefined);
              break;
            }
            if (created.title !== title || created.version !== 1 || created.source_url !== request.source_url) {
              contradictions.push(`create ${created.id} answered ${answer.text}`);
            }
            const expectation: MovieExpectation = {
              id: created.id,
              client,
              sourceUrl: request.source_url,
              acknowledged: { title, description: request.description, version: created.version },
              deleted: false,
              unsettled: undefined,
            };
            movies.set(created.id, expectation);
            owned.push(expectation);
            record(answer.status, created.id);
            break;
          }
          case "get": {
            const answer = await send("GET", `/v1/movies/${movie!.id}`);
            if (answer.status !== 200) {
              failed(answer, movie!.id);
              break;
            }
            const read = parseJson<MovieJson>(answer.text);
            const { title, description, version } = movie!.acknowledged;
            if (read?.title !== title || read.description !== description || read.version !== version) {
              contradictions.push(`get ${movie!.id}: expected version ${version} "${title}", read ${answer.text}`);
            }
            record(answer.status, movie!.id);
            break;
          }
          case "update": {
            const change = { title: `${movie!.acknowledged.title}+`, description: `update ${movie!.acknowledged.version + 1} by client ${client}` };
            const answer = await send("PUT", `/v1/movies/${movie!.id}`, { ...change, version: movie!.acknowledged.version });
            const updated = answer.status === 200 ? parseJson<MovieJson>(answer.text) : undefined;
            if (updated === undefined) {
              settleNever(movie!, change, owned);
              failed(answer, movie!.id);
              break;
            }
            if (updated.title !== change.title || updated.description !== change.description || updated.version !== movie!.acknowledged.version + 1) {
              contradictions.push(`update ${movie!.id} from version ${movie!.acknowledged.version} answered ${answer.text}`);
            }
            movie!.acknowledged = { ...change, version: updated.version };
            record(answer.status, movie!.id);
            break;
          }
          case "delete": {
            const answer = await send("DELETE", `/v1/movies/${movie!.id}?version=${movie!.acknowledged.version}`);
            if (answer.status !== 200 && answer.status !== 204) {
              settleNever(movie!, "delete", owned);
              failed(answer, movie!.id);
              break;
            }
            movie!.deleted = true;
            owned.splice(owned.indexOf(movie!), 1);
            record(answer.status, movie!.id);
            break;
          }
          case "list": {
            const answer = await send("GET", "/v1/movies?page_size=10");
            const page = answer.status === 200 ? parseJson<{ movies?: unknown }>(answer.text) : undefined;
            if (page === undefined) {
              failed(answer, undefined);
              break;
            }
            if (page.movies !== undefined && !Array.isArray(page.movies)) {
              contradictions.push(`list answered ${answer.text}`);
            }
            record(answer.status, undefined);
            break;
          }
        }
        // No answer at all (no gateway listening): the client waits longer before it tries again.
        await sleep(answered ? options.pauseMs : Math.max(options.pauseMs, 250));
      }
    } finally {
      await http.close().catch(() => undefined);
    }
  };

  const running = Array.from({ length: options.clients }, (_, client) => runClient(client));
  return {
    outcomes,
    movies,
    unsettledCreates,
    contradictions,
    pendingSince: () => [...pending.values()],
    async waitForRequestsAfter(since, count, timeoutMs = 30_000) {
      const startedAt = performance.now();
      while (outcomes.filter((outcome) => outcome.sentAt > since).length < count) {
        if (performance.now() - startedAt > timeoutMs) {
          throw new Error(`fewer than ${count} requests sent after ${Math.round(since)} ms settled within ${timeoutMs} ms`);
        }
        if (stopping) {
          throw new Error("the load has stopped");
        }
        await sleep(50);
      }
    },
    async stop() {
      stopping = true;
      await Promise.all(running);
    },
  };
}

// A write that was not acknowledged: the movie is left as it may be, and written no more.
function settleNever(movie: MovieExpectation, write: MovieExpectation["unsettled"], owned: MovieExpectation[]): void {
  movie.unsettled = write;
  owned.splice(owned.indexOf(movie), 1);
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** A row of the movies table, as {@link checkMoviesTable} reads it. */
export interface MovieRow {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly source_url: string;
  readonly version: number;
}

/**
 * Compares the movies table with what the load's answers acknowledged, and returns every
 * difference (none when no write was lost): each acknowledged movie is there with its last
 * acknowledged title, description and version (or the one write left unsettled after it), each
 * acknowledged delete is gone, an unacknowledged create left one row at most, and no row comes
 * from anywhere else.
 */
export function checkMoviesTable(load: MoviesLoad, rows: readonly MovieRow[]): string[] {
  const problems: string[] = [];
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const movie of load.movies.values()) {
    const row = byId.get(movie.id);
    byId.delete(movie.id);
    const { title, description, version } = movie.acknowledged;
    const isAcknowledged = row !== undefined && row.title === title && row.description === description && row.version === version;
    if (movie.deleted) {
      if (row !== undefined) {
        problems.push(`movie ${movie.id} was deleted (acknowledged) but is still there`);
      }
    } else if (movie.unsettled === "delete") {
      if (row !== undefined && !isAcknowledged) {
        problems.push(`movie ${movie.id} (a delete unsettled) is neither gone nor at version ${version}: ${JSON.stringify(row)}`);
      }
    } else if (movie.unsettled !== undefined) {
      const isUnsettledWrite = row !== undefined && row.title === movie.unsettled.title && row.description === movie.unsettled.description && row.version === version + 1;
      if (!isAcknowledged && !isUnsettledWrite) {
        problems.push(`movie ${movie.id} (an update unsettled) is at neither version ${version} nor ${version + 1}: ${JSON.stringify(row)}`);
      }
    } else if (row === undefined) {
      problems.push(`movie ${movie.id} is lost: acknowledged at version ${version}`);
    } else if (!isAcknowledged) {
      problems.push(`movie ${movie.id}: acknowledged version ${version} "${title}", the database has ${JSON.stringify(row)}`);
    } else if (row.source_url !== movie.sourceUrl) {
      problems.push(`movie ${movie.id}: source ${row.source_url}, created with ${movie.sourceUrl}`);
    }
  }
  // What is left is rows of unacknowledged creates: one at most for each.
  const unsettledTitles = new Set(load.unsettledCreates.map((create) => create.title));
  const seen = new Set<string>();
  for (const row of byId.values()) {
    if (!unsettledTitles.has(row.title)) {
      problems.push(`a row no request of the load created, or a second row of one: ${JSON.stringify(row)}`);
    } else if (seen.has(row.title)) {
      problems.push(`two rows for one create "${row.title}"`);
    }
    seen.add(row.title);
  }
  return problems;
}

/** Counts outcomes by operation and status: `{ "create 201": 120, "get 503": 3, "update ECONNREFUSED": 1 }`. */
export function tallyOutcomes(outcomes: readonly MovieRequestOutcome[]): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const outcome of outcomes) {
    // Without an answer: the error's code (`deadline`, `ECONNREFUSED`, ...).
    const key = `${outcome.operation} ${outcome.status ?? outcome.failure?.split(":")[0]}`;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(tally).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The outcomes that are neither a success nor a clean failure: no answer within `deadlineMs`
 * (or none at all, unless `allowNoAnswer` says why that is fine), a status outside `allowed`,
 * an error that is not a `google.rpc.Status` JSON with a code, or a message carrying a stack.
 */
export function uncleanOutcomes(
  outcomes: readonly MovieRequestOutcome[],
  allowed: { readonly statuses: readonly number[]; readonly deadlineMs: number; allowNoAnswer?: (outcome: MovieRequestOutcome) => boolean },
): MovieRequestOutcome[] {
  return outcomes.filter((outcome) => {
    // The client's own deadline, with a second for a busy machine to call its timer.
    if (outcome.settledAt - outcome.sentAt > allowed.deadlineMs + 1_000) {
      return true;
    }
    if (outcome.status === undefined) {
      return outcome.failure === "deadline" || allowed.allowNoAnswer?.(outcome) !== true;
    }
    if (!allowed.statuses.includes(outcome.status)) {
      return true;
    }
    if (outcome.status >= 400) {
      return outcome.grpcCode === undefined || outcome.body !== undefined || /\n\s+at |\.(ts|js):\d+/.test(outcome.failure ?? "");
    }
    return false;
  });
}
