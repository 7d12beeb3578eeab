import { Match, type MsgHdrs } from "nats";
import { Code, isCode } from "./code.js";
import { HeaderName } from "./protocol-headers.js";
import { toFetchHeaders } from "./fetch-headers.js";
import { RpcError } from "./rpc-error.js";

// The HTTP-style status of each code, as Connect maps them.
const httpStatusByCode: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
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

/** The HTTP-style status written to `Nats-Service-Error-Code` for a code. */
export function httpStatusFromCode(code: Code): number {
  return httpStatusByCode[code];
}

/** The code for a bare HTTP-style status; `unknown` where no code fits. */
export function codeFromHttpStatus(status: number): Code {
  return codeByHttpStatus.get(status) ?? Code.Unknown;
}

/** Writes an error to the headers of a reply: the two ADR-32 headers and the exact code. */
export function setErrorHeaders(headers: MsgHdrs, error: RpcError): void {
  // A header value must stay on one line.
  headers.set(HeaderName.ServiceError, error.rawMessage.replace(/[\r\n]+/g, " "), Match.IgnoreCase);
  headers.set(HeaderName.ServiceErrorCode, String(httpStatusFromCode(error.code)), Match.IgnoreCase);
  headers.set(HeaderName.RpcCode, error.code, Match.IgnoreCase);
}

/**
 * Reads an error reply back into an `RpcError`, or returns `undefined` when the reply is no error.
 * The exact code wins; a bare ADR-32 status (from any micro service) is mapped to the closest code.
 */
export function errorFromHeaders(headers: MsgHdrs | undefined): RpcError | undefined {
  if (headers === undefined) {
    return undefined;
  }
  // Header names are matched in any case: other implementations may spell them differently.
  const status = headers.get(HeaderName.ServiceErrorCode, Match.IgnoreCase);
  const exactCode = headers.get(HeaderName.RpcCode, Match.IgnoreCase);
  const serviceError = headers.get(HeaderName.ServiceError, Match.IgnoreCase);
  if (status === "" && exactCode === "" && serviceError === "") {
    return undefined;
  }
  const code = isCode(exactCode) ? exactCode : codeFromHttpStatus(Number.parseInt(status, 10));
  const message = serviceError || `error reply with status ${status || "(none)"}`;
  return new RpcError(message, code, { metadata: toFetchHeaders(headers) });
}
