import { Code, RpcError } from "nats-micro-runtime";

// PostgreSQL's SQLSTATE codes and classes that the engine answers with a code of their own
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const codesByState: ReadonlyMap<string, { code: Code; what: string }> = new Map([
  ["23505", { code: Code.AlreadyExists, what: "already exists" }],
  ["40001", { code: Code.Aborted, what: "a concurrent change conflicted with this one: try again" }],
  ["40P01", { code: Code.Aborted, what: "a deadlock with a concurrent change: try again" }],
  ["55P03", { code: Code.Aborted, what: "a row is locked by a concurrent change: try again" }],
  ["57014", { code: Code.DeadlineExceeded, what: "the statement ran out of time" }],
  ["57P01", { code: Code.Unavailable, what: "the database is shutting down" }],
  ["57P02", { code: Code.Unavailable, what: "the database crashed" }],
  ["57P03", { code: Code.Unavailable, what: "the database is starting up" }],
  ["53300", { code: Code.Unavailable, what: "the database has too many clients" }],
  ["3D000", { code: Code.Unavailable, what: "the database does not exist (run `movies migrate`)" }],
  ["42P01", { code: Code.FailedPrecondition, what: "the schema is missing (run `movies migrate`)" }],
  ["25006", { code: Code.Unavailable, what: "the database is read-only" }],
]);

const codesByClass: ReadonlyMap<string, { code: Code; what: string }> = new Map([
  // Connection exceptions, insufficient resources, operator intervention, system errors.
  ["08", { code: Code.Unavailable, what: "the connection to the database failed" }],
  ["53", { code: Code.Unavailable, what: "the database is out of resources" }],
  ["57", { code: Code.Unavailable, what: "the database stopped the statement" }],
  ["58", { code: Code.Unavailable, what: "the database had a system error" }],
  // Data exceptions and integrity violations that the request's rules did not catch.
  ["22", { code: Code.InvalidArgument, what: "a value the database refuses" }],
  ["23", { code: Code.FailedPrecondition, what: "a constraint of the database refuses the change" }],
]);

// What node-postgres and Node's sockets say when there is no usable connection.
const connectionFailure =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|the database system is (starting up|shutting down)/i;

/**
 * The `RpcError` for a failure of a database call, so that every handler answers database trouble
 * alike and never with a stack: no connection (refused, terminated, too many clients, a server
 * shutting down or starting) is `unavailable`, which callers may retry; a unique key taken is
 * `already_exists`; a serialization failure or deadlock is `aborted`; a statement timeout is
 * `deadline_exceeded`; a missing schema is `failed_precondition`. Anything else is `internal`,
 * its message kept for the logs (the host does not send it). An `RpcError` is returned as it is.
 */
export function databaseError(error: unknown): RpcError {
  if (error instanceof RpcError) {
    return error;
  }
  const state = typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : "";
  const message = error instanceof Error ? error.message : String(error);
  const known = codesByState.get(state) ?? (/^[0-9A-Z]{5}$/.test(state) ? codesByClass.get(state.slice(0, 2)) : undefined);
  if (known !== undefined) {
    return new RpcError(`database: ${known.what} (${state}: ${message})`, known.code, { cause: error });
  }
  if (connectionFailure.test(message) || connectionFailure.test(state)) {
    return new RpcError(`database unavailable: ${message}`, Code.Unavailable, { cause: error });
  }
  return new RpcError(`database: ${message}`, Code.Internal, { cause: error });
}
