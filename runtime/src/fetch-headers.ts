import type { MsgHdrs } from "nats";

/** Anything the WHATWG `Headers` constructor takes: a `Headers`, a record or a list of pairs. */
export type HeadersInit = ConstructorParameters<typeof Headers>[0];

/** Copies NATS headers into a WHATWG `Headers` object, the type handlers and callers see. */
export function toFetchHeaders(headers: MsgHdrs | undefined): Headers {
  const result = new Headers();
  if (headers !== undefined) {
    for (const [key, values] of headers) {
      for (const value of values) {
        result.append(key, value);
      }
    }
  }
  return result;
}
