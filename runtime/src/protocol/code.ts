/**
 * The closed set of RPC status codes, modelled on gRPC and Connect.
 *
 * The values are the snake_case names Connect uses on the wire; they travel in the
 * `Nats-Rpc-Code` header (see `docs/protocol.md`).
 *
 * @example
 * throw new RpcError("values must not be empty", Code.InvalidArgument);
 */
export const Code = {
  /** The caller cancelled the call. */
  Canceled: "canceled",
  /** An error with no better code, for example an error from another address space. */
  Unknown: "unknown",
  /** The request is invalid, whatever the state of the system: bad payload, bad field, bad header. */
  InvalidArgument: "invalid_argument",
  /** The deadline ran out before the call finished. */
  DeadlineExceeded: "deadline_exceeded",
  /** A requested entity was not found. */
  NotFound: "not_found",
  /** The entity the caller tried to create exists already. */
  AlreadyExists: "already_exists",
  /** The caller may not do this. */
  PermissionDenied: "permission_denied",
  /** A resource, such as a quota or the host's capacity, is used up. */
  ResourceExhausted: "resource_exhausted",
  /** The system is not in a state the operation needs. */
  FailedPrecondition: "failed_precondition",
  /** The operation was aborted, typically by a concurrency conflict. */
  Aborted: "aborted",
  /** The operation went past a valid range. */
  OutOfRange: "out_of_range",
  /** The operation is not implemented or not supported. */
  Unimplemented: "unimplemented",
  /** An invariant of the system is broken: a bug on the serving side. */
  Internal: "internal",
  /** The service cannot be reached now; retrying may help. */
  Unavailable: "unavailable",
  /** Unrecoverable loss or corruption of data. */
  DataLoss: "data_loss",
  /** The caller did not prove who it is. */
  Unauthenticated: "unauthenticated",
} as const;

/** One of the values of {@link Code}. */
export type Code = (typeof Code)[keyof typeof Code];

const allCodes: ReadonlySet<string> = new Set(Object.values(Code));

/** Whether a string is one of the codes of {@link Code}. */
export function isCode(value: string): value is Code {
  return allCodes.has(value);
}
