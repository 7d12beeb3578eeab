import { headers as createNatsHeaders, type Msg, type MsgHdrs } from "@nats-io/nats-core";
import { jsonContentType, type Encoding } from "../../protocol/codec.js";
import { Code } from "../../protocol/code.js";
import { HeaderName } from "../../protocol/header-name.js";
import { RpcError } from "../../protocol/rpc-error.js";

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
  headers.forEach((value, key) => result.append(contractNames.get(key) ?? key, natsHeaderValue(value)));
  return result;
}

const beyondAscii = /[^\u0000-\u007f]/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A `Headers` value as NATS header text. `Headers` holds byte strings, so text beyond Latin-1 is
 * held there as its UTF-8 bytes, one character per byte (as `toFetchHeaders` and
 * `setErrorHeaders` write it): a value whose bytes are UTF-8 goes as the text they encode, any
 * other as it is.
 */
function natsHeaderValue(value: string): string {
  if (!beyondAscii.test(value)) {
    return value;
  }
  try {
    return strictUtf8.decode(Buffer.from(value, "latin1"));
  } catch {
    return value;
  }
}

/**
 * A header of a NATS message, its name matched in any case; `""` when absent. What
 * `headers.get(name, Match.IgnoreCase)` answers (the first value of the first name that matches),
 * in one pass over the names: nats.js's `get` builds two arrays and lower-cases every name on
 * each call, and the host and the client read two or three headers of every message.
 */
export function natsHeader(headers: MsgHdrs | undefined, name: string): string {
  if (headers === undefined) {
    return "";
  }
  const wanted = name.toLowerCase();
  for (const [key, values] of headers) {
    if (key === name || key.toLowerCase() === wanted) {
      return values[0] ?? "";
    }
  }
  return "";
}

/**
 * Reads many headers of one message: `natsHeader`'s answers, from one pass over the names made
 * when it is created rather than one pass per header read (a pipeline stop reads ten of them).
 */
export function natsHeaderReader(headers: MsgHdrs | undefined): (name: string) => string {
  const first = new Map<string, string>();
  if (headers !== undefined) {
    for (const [key, values] of headers) {
      const name = key.toLowerCase();
      if (!first.has(name)) {
        first.set(name, values[0] ?? "");
      }
    }
  }
  return (name) => first.get(name.toLowerCase()) ?? "";
}

/** Deletes a header from NATS headers, its name matched in any case (as `Headers.delete` does). */
export function deleteNatsHeader(headers: MsgHdrs, name: string): void {
  const wanted = name.toLowerCase();
  for (const key of headers.keys()) {
    if (key.toLowerCase() === wanted) {
      headers.delete(key);
    }
  }
}

/** One `name: value` line of a message's header block, the value trimmed as nats.js trims it. */
export type HeaderLine = readonly [name: string, value: string];

// As nats.js decodes a header block: bytes that are not UTF-8 become U+FFFD, nothing throws.
const headerBlockDecoder = new TextDecoder();

/**
 * The header lines of a message that nats.js received, in order, read from the message's bytes:
 * the lines `msg.headers` would hold. `undefined` when they cannot be read so; then read
 * `msg.headers` (which throws for a block that nats.js refuses, as before).
 *
 * Why: the host reads two headers of every request (content type, timeout), and `msg.headers`
 * builds a whole `MsgHdrs` for them (a canonical form of each name, a map of arrays, a regular
 * expression per value): in profiles at 1 request in flight that was the largest part of the
 * host's own time per request. The bytes are fields of nats.js's message class (`_rdata`, and
 * `_msg.hdr`, the length of the header block, -1 for none); should another version of nats.js
 * not have them, `undefined` sends every read to `msg.headers`.
 */
export function headerLines(msg: Msg): readonly HeaderLine[] | undefined {
  const fields = msg as unknown as { _rdata?: unknown; _msg?: { hdr?: unknown } };
  const bytes = fields._rdata;
  const blockLength = fields._msg?.hdr;
  if (!(bytes instanceof Uint8Array) || typeof blockLength !== "number" || blockLength > bytes.length) {
    return undefined;
  }
  if (blockLength < 0) {
    return []; // no header block: msg.headers is undefined
  }
  const lines: HeaderLine[] = [];
  const text = headerBlockDecoder.decode(bytes.subarray(0, blockLength)).split("\r\n");
  // The first line is the version and status (NATS/1.0 503), not a header; nats.js skips empty
  // lines and lines without a colon.
  for (let index = 1; index < text.length; index += 1) {
    const line = text[index]!;
    const colon = line.indexOf(":");
    if (colon < 0) {
      continue;
    }
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (!isHeaderNameNatsTakes(name) || /[\r\n]/.test(value)) {
      return undefined;
    }
    lines.push([name, value]);
  }
  return lines;
}

// nats.js refuses a header name with a character outside printable ASCII (33 to 126).
function isHeaderNameNatsTakes(name: string): boolean {
  for (let index = 0; index < name.length; index += 1) {
    const code = name.charCodeAt(index);
    if (code < 33 || code > 126) {
      return false;
    }
  }
  return true;
}

/**
 * A header among {@link headerLines}, its name matched in any case; `""` when absent. The value of
 * the first line whose name matches: what `natsHeader` answers for the same message.
 */
export function headerLineValue(lines: readonly HeaderLine[], name: string): string {
  const wanted = name.toLowerCase();
  for (const [key, value] of lines) {
    if (key === name || key.toLowerCase() === wanted) {
      return value;
    }
  }
  return "";
}

/** The header block of a request that carries the protocol's headers only, and its size on the wire. */
export interface ProtocolRequestHeaders {
  readonly timeoutMs: number;
  readonly headers: MsgHdrs;
  /** Bytes of the header block, as {@link wireSize} counts them. */
  readonly size: number;
}

// The last block made for each encoding: a client's calls mostly share one timeout.
const lastProtocolHeaders: { binary?: ProtocolRequestHeaders; json?: ProtocolRequestHeaders } = {};

// A caller's headers when there are none; only ever read.
const noHeaders = new Headers();

/**
 * The NATS headers of a request without headers of its caller: what `toNatsHeaders` makes of
 * `Headers` holding the timeout and, for JSON, the content type (the same names and spelling, in
 * the same order), without a WHATWG `Headers` to build, copy and measure on every call. The block is
 * shared by the calls with the same timeout and encoding: nats.js only reads a message's headers
 * (to encode them when it publishes), and nothing else sees a request's block.
 */
export function protocolRequestHeaders(timeoutMs: number, encoding: Encoding): ProtocolRequestHeaders {
  const last = lastProtocolHeaders[encoding];
  if (last !== undefined && last.timeoutMs === timeoutMs) {
    return last;
  }
  const made = { timeoutMs, ...callerRequestHeaders(noHeaders, timeoutMs, encoding) };
  lastProtocolHeaders[encoding] = made;
  return made;
}

const timeoutKey = HeaderName.Timeout.toLowerCase();
const contentTypeKey = HeaderName.ContentType.toLowerCase();

/**
 * The NATS headers of a request with headers of its caller, and the bytes the block takes on the
 * wire: the caller's, written as `toNatsHeaders` writes them, then the protocol's own (the
 * content type for JSON, the timeout), which replace any of the caller's. One pass over the
 * caller's `Headers`, where copying them to set the protocol's, converting and measuring took three.
 */
export function callerRequestHeaders(caller: Headers, timeoutMs: number, encoding: Encoding): { headers: MsgHdrs; size: number } {
  const headers = createNatsHeaders();
  let size = "NATS/1.0\r\n\r\n".length;
  const add = (name: string, value: string) => {
    headers.append(name, value);
    size += Buffer.byteLength(`${name}: ${value}\r\n`);
  };
  caller.forEach((value, key) => {
    if (key !== timeoutKey && key !== contentTypeKey) {
      add(contractNames.get(key) ?? key, natsHeaderValue(value));
    }
  });
  if (encoding === "json") {
    add(HeaderName.ContentType, jsonContentType);
  }
  add(HeaderName.Timeout, String(timeoutMs));
  return { headers, size };
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

/**
 * Throws `resource_exhausted` for a message the server would refuse (larger than its
 * `max_payload`, payload and headers together): an error of the call, not a lost connection.
 * `what` names the message in the error, such as "message to calc.v1.Calc.Watch".
 */
export function checkMessageSize(maxPayload: number | undefined, payload: Uint8Array, headers: Headers | undefined, what: string): void {
  const size = wireSize(payload, headers);
  if (maxPayload !== undefined && size > maxPayload) {
    throw new RpcError(`${what} of ${size} bytes is larger than the server's max_payload of ${maxPayload} bytes`, Code.ResourceExhausted);
  }
}
