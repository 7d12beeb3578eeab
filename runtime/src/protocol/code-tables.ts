import { Code } from "./code.js";

/**
 * Every table that maps a {@link Code} to a number, in one place: the HTTP-style status of
 * ADR-32's `Nats-Service-Error-Code` header (and of the HTTP gateway), the gRPC status number,
 * and the exit code of the generated command-line tools.
 */
interface CodeNumbers {
  /** The HTTP status, as Connect maps codes. */
  readonly httpStatus: number;
  /** The gRPC status number. */
  readonly grpcNumber: number;
}

const numbersByCode: Readonly<Record<Code, CodeNumbers>> = {
  [Code.Canceled]: { httpStatus: 499, grpcNumber: 1 },
  [Code.Unknown]: { httpStatus: 500, grpcNumber: 2 },
  [Code.InvalidArgument]: { httpStatus: 400, grpcNumber: 3 },
  [Code.DeadlineExceeded]: { httpStatus: 504, grpcNumber: 4 },
  [Code.NotFound]: { httpStatus: 404, grpcNumber: 5 },
  [Code.AlreadyExists]: { httpStatus: 409, grpcNumber: 6 },
  [Code.PermissionDenied]: { httpStatus: 403, grpcNumber: 7 },
  [Code.ResourceExhausted]: { httpStatus: 429, grpcNumber: 8 },
  [Code.FailedPrecondition]: { httpStatus: 400, grpcNumber: 9 },
  [Code.Aborted]: { httpStatus: 409, grpcNumber: 10 },
  [Code.OutOfRange]: { httpStatus: 400, grpcNumber: 11 },
  [Code.Unimplemented]: { httpStatus: 501, grpcNumber: 12 },
  [Code.Internal]: { httpStatus: 500, grpcNumber: 13 },
  [Code.Unavailable]: { httpStatus: 503, grpcNumber: 14 },
  [Code.DataLoss]: { httpStatus: 500, grpcNumber: 15 },
  [Code.Unauthenticated]: { httpStatus: 401, grpcNumber: 16 },
};

// For replies that carry only the numeric status (services not built with this runtime).
const codeByHttpStatus: ReadonlyMap<number, Code> = new Map([
  [400, Code.InvalidArgument],
  [401, Code.Unauthenticated],
  [403, Code.PermissionDenied],
  [404, Code.NotFound],
  [408, Code.DeadlineExceeded],
  [409, Code.Aborted],
  [412, Code.FailedPrecondition],
  [429, Code.ResourceExhausted],
  [499, Code.Canceled],
  [500, Code.Internal],
  [501, Code.Unimplemented],
  [502, Code.Unavailable],
  [503, Code.Unavailable],
  [504, Code.DeadlineExceeded],
]);

/** The HTTP-style status of a code: what `Nats-Service-Error-Code` carries. */
export function httpStatusFromCode(code: Code): number {
  return numbersByCode[code].httpStatus;
}

/** The code for a bare HTTP-style status; `unknown` where no code fits. */
export function codeFromHttpStatus(status: number): Code {
  return codeByHttpStatus.get(status) ?? Code.Unknown;
}

/** The gRPC status number of a code (`invalid_argument` is 3, `unavailable` 14). */
export function grpcNumberFromCode(code: Code): number {
  return numbersByCode[code].grpcNumber;
}

/**
 * The exit code of a command that failed with a code: 64 + its gRPC number (65 to 80), as
 * `grpcurl` does, so that scripts can tell `not_found` (69) from `unavailable` (78) without
 * parsing messages.
 */
export function exitCodeFromCode(code: Code): number {
  return 64 + numbersByCode[code].grpcNumber;
}
