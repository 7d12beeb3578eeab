import { Code, RpcError } from "nats-micro-runtime";

/** Where a page of the list starts: after this movie, in the order (created_at, id). */
export interface PagePosition {
  /** The created_at of the last movie of the previous page, as PostgreSQL wrote it (microseconds kept). */
  readonly createdAt: string;
  readonly id: string;
}

/**
 * The `next_page_token` for a page that ends with this movie: opaque to clients (base64url of
 * JSON), so that the order it encodes can change without breaking them.
 */
export function encodePageToken(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), "utf8").toString("base64url");
}

// created_at as PostgreSQL writes timestamptz as text ("2026-11-28 09:59:01.123456+00").
const timestampText = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

/** Reads a `page_token`; one that this engine did not write is `invalid_argument`. */
export function decodePageToken(token: string): PagePosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string" && timestampText.test(value[0]) && /^[0-9a-f-]{36}$/.test(value[1])) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // Not base64url JSON: answered below.
  }
  throw new RpcError("page_token is not a token of this list: pass next_page_token as it was received", Code.InvalidArgument);
}
