import { isCode } from "./code.js";
import { codeFromHttpStatus, httpStatusFromCode } from "./code-tables.js";
import { decodeErrorDetails, type ErrorDetail } from "./error-details.js";
import type { Encoding } from "./codec.js";
import { HeaderName } from "./header-name.js";
import { RpcError } from "./rpc-error.js";

const beyondAscii = /[^\u0000-\u007f]/;

/**
 * Writes an error to the headers of a reply: the two ADR-32 headers and the exact code.
 * `Headers` match names in any case, so these replace whatever spelling the handler used.
 */
export function setErrorHeaders(headers: Headers, error: RpcError): void {
  // A header value must stay on one line and hold no NUL (`Headers` throws on either), and
  // `Headers` holds byte strings: text beyond ASCII is held as its UTF-8 bytes, one character per
  // byte (`toNatsHeaders` sends it as that text).
  const message = error.rawMessage.replace(/[\r\n\0]+/g, " ");
  headers.set(HeaderName.ServiceError, beyondAscii.test(message) ? Buffer.from(message, "utf8").toString("latin1") : message);
  headers.set(HeaderName.ServiceErrorCode, String(httpStatusFromCode(error.code)));
  headers.set(HeaderName.RpcCode, error.code);
}

/**
 * Reads an error reply back into an `RpcError`, or returns `undefined` when the reply is no error.
 * The exact code wins; a bare ADR-32 status (from any micro service) is mapped to the closest code.
 * `get` reads a header by name in any case (other implementations may spell them differently).
 *
 * @example
 * const error = errorFromHeaders((name) => reply.headers.get(name), () => toFetchHeaders(reply.headers));
 */
export function errorFromHeaders(
  get: (name: string) => string,
  metadata: () => Headers,
  payload?: () => { data: Uint8Array; encoding: Encoding },
): RpcError | undefined {
  const status = get(HeaderName.ServiceErrorCode);
  const exactCode = get(HeaderName.RpcCode);
  const serviceError = get(HeaderName.ServiceError);
  if (status === "" && exactCode === "" && serviceError === "") {
    return undefined;
  }
  const code = isCode(exactCode) ? exactCode : codeFromHttpStatus(Number.parseInt(status, 10));
  const message = serviceError || `error reply with status ${status || "(none)"}`;
  // Details only from a payload that says it holds them: any other payload of an error reply is
  // ignored. Read only for an error reply, so that a success pays nothing for them.
  let details: ErrorDetail[] = [];
  if (payload !== undefined && get(HeaderName.ErrorDetails) !== "") {
    const { data, encoding } = payload();
    details = decodeErrorDetails(data, encoding);
  }
  return new RpcError(message, code, { metadata: metadata(), details });
}
