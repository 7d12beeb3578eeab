import type { Encoding } from "./codec.js";
import { jsonContentType } from "./codec.js";
import { setErrorHeaders } from "./error-headers.js";
import { HeaderName } from "./header-name.js";
import type { RpcError } from "./rpc-error.js";

/**
 * The headers of a reply: its content type when JSON, and whatever the handler set; `undefined`
 * for a binary reply without headers (the common case, which then sends none).
 */
export function replyHeaders(encoding: Encoding, responseHeader: Headers | undefined): Headers | undefined {
  if (encoding === "binary" && responseHeader === undefined) {
    return undefined;
  }
  const headers = new Headers(responseHeader);
  if (encoding === "json") {
    headers.set(HeaderName.ContentType, jsonContentType);
  } else {
    // The reply's encoding is the request's, whatever the handler set.
    headers.delete(HeaderName.ContentType);
  }
  return headers;
}

/** The headers of an error reply: the reply's headers and the error's (see `setErrorHeaders`). */
export function errorReplyHeaders(error: RpcError, encoding: Encoding, responseHeader: Headers | undefined): Headers {
  const headers = replyHeaders(encoding, responseHeader) ?? new Headers();
  setErrorHeaders(headers, error);
  return headers;
}

/** The text cut to at most `maxBytes` bytes of UTF-8, marked with "..." where it was cut. */
export function cutToBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) {
    return text;
  }
  // Decoding may end in half a character: drop it rather than send a replacement character.
  return `${bytes.subarray(0, Math.max(0, maxBytes - 3)).toString("utf8").replace(/\uFFFD$/, "")}...`;
}
