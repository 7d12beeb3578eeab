import { headers as createNatsHeaders, Match, type MsgHdrs } from "@nats-io/nats-core";
import { HeaderName } from "../../protocol/header-name.js";

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

// The contract's own headers by their lower-case names, for their spelling on the wire.
const contractNames: ReadonlyMap<string, string> = new Map(Object.values(HeaderName).map((name) => [name.toLowerCase(), name]));

/**
 * Copies WHATWG `Headers` into NATS headers for a message. `Headers` hold names in lower case;
 * NATS header names are case-sensitive on the wire, and readers here match them in any case.
 * The contract's own headers are written with the spelling docs/protocol.md gives them
 * (`Nats-Service-Error`, as ADR-32 spells it, which other micro clients read exactly so).
 */
export function toNatsHeaders(headers: Headers): MsgHdrs {
  const result = createNatsHeaders();
  headers.forEach((value, key) => result.append(contractNames.get(key) ?? key, value));
  return result;
}

/** A header of a NATS message, its name matched in any case; `""` when absent. */
export function natsHeader(headers: MsgHdrs | undefined, name: string): string {
  return headers === undefined ? "" : headers.get(name, Match.IgnoreCase);
}

/**
 * Bytes a message counts against the server's max_payload: its payload and its header block
 * (`NATS/1.0`, one `name: value` line per value, a blank line).
 */
export function wireSize(payload: Uint8Array, headers: Headers | undefined): number {
  if (headers === undefined) {
    return payload.length;
  }
  let size = payload.length + "NATS/1.0\r\n\r\n".length;
  headers.forEach((value, key) => {
    size += Buffer.byteLength(`${key}: ${value}\r\n`);
  });
  return size;
}
