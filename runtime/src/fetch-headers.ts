import type { MsgHdrs } from "nats";

/** Anything the WHATWG `Headers` constructor takes: a `Headers`, a record or a list of pairs. */
export type HeadersInit = ConstructorParameters<typeof Headers>[0];

// Characters a WHATWG `Headers` value cannot hold: it is a byte string, one character per byte.
const beyondLatin1 = /[^\u0000-\u00ff]/;

/**
 * Copies NATS headers into a WHATWG `Headers` object, the type handlers and callers see.
 *
 * NATS headers are UTF-8 text, but `Headers` holds byte strings and throws on anything else, and
 * what a peer sends must never make a call fail. So a value with characters beyond Latin-1 is
 * kept as its UTF-8 bytes, one character per byte, as `fetch` shows such HTTP header values
 * (`Buffer.from(value, "latin1").toString()` reads it back); a header whose name `Headers`
 * refuses (not an HTTP token) is left out.
 */
export function toFetchHeaders(headers: MsgHdrs | undefined): Headers {
  const result = new Headers();
  if (headers !== undefined) {
    for (const [key, values] of headers) {
      for (const value of values) {
        try {
          result.append(key, beyondLatin1.test(value) ? Buffer.from(value, "utf8").toString("latin1") : value);
        } catch {
          // Not a name `Headers` accepts: the handler or caller cannot be shown it.
        }
      }
    }
  }
  return result;
}
