// Matching a request path against one template, and reading the variables' values out of it.
// Literals are compared as written (still percent-encoded), as grpc-gateway does; only values are decoded.

import type { PathTemplate } from "./path-template.js";

/**
 * A request path split for matching: segments still percent-encoded. The last segment keeps any
 * `:verb`: whether a colon starts a verb depends on the template, so the matcher splits it, and only
 * for templates that have a verb (`/v1/a:b` matches both `/v1/{name}` and `/v1/{name}:b`).
 */
export interface RequestPath {
  readonly segments: readonly string[];
}

/**
 * Splits the path of a URL (without the query) into its segments. Empty segments (`//`, a trailing
 * `/`, the root `/`) are kept: no template matches them, so such paths are simply not found. A path
 * that does not start with "/" gets an empty first segment, for the same reason.
 */
export function splitRequestPath(path: string): RequestPath {
  return { segments: path.startsWith("/") ? path.slice(1).split("/") : ["", ...path.split("/")] };
}

/**
 * A request path whose percent-encoding is broken (`%zz`, `%4`) or decodes to bytes that are not UTF-8,
 * in a segment that a variable would take. A gateway answers it with 400. `position` is the index of
 * the offending `%` in `segment`, or 0 when the bytes are not UTF-8.
 */
export class PathEncodingError extends Error {
  override readonly name = "PathEncodingError";
  readonly segment: string;
  readonly position: number;

  constructor(message: string, segment: string, position: number) {
    super(message);
    this.segment = segment;
    this.position = position;
  }
}

/**
 * The values of the template's variables keyed by field path joined with ".", percent-decoded;
 * undefined when it does not match. A single-segment variable is fully decoded (`%2F` becomes "/");
 * a multi-segment one (`{name=shelves/*}`, `{name=**}`) is its segments joined with "/", each decoded
 * except for RFC 6570 reserved characters, which stay encoded (so `%2F` stays `%2F`).
 *
 * @example
 * matchPathTemplate(parsePathTemplate("/v1/{name=shelves/*}:get"), splitRequestPath("/v1/shelves/a%20b:get"));
 * // Map { "name" => "shelves/a b" }
 * @throws PathEncodingError when the path matches but a variable's value is not well percent-encoded.
 */
export function matchPathTemplate(template: PathTemplate, path: RequestPath): Map<string, string> | undefined {
  if (path.segments.includes("")) {
    return undefined;
  }
  const segments = template.verb === undefined ? path.segments : withoutVerb(path.segments, template.verb);
  if (segments === undefined || !matchesSegments(template, segments)) {
    return undefined;
  }
  return bindVariables(template, segments);
}

/**
 * The segments without the verb when the last one ends with `:verb` after something; undefined
 * otherwise (the path cannot match a template with that verb).
 */
export function withoutVerb(segments: readonly string[], verb: string): readonly string[] | undefined {
  const last = segments[segments.length - 1];
  if (last === undefined || last.length <= verb.length + 1 || !last.endsWith(verb) || last[last.length - verb.length - 1] !== ":") {
    return undefined;
  }
  return [...segments.slice(0, -1), last.slice(0, last.length - verb.length - 1)];
}

/** Whether non-empty segments, verb already removed, have the template's shape (its verb is not looked at). */
export function matchesSegments(template: PathTemplate, segments: readonly string[]): boolean {
  const shape = template.segments;
  const deep = shape[shape.length - 1]?.kind === "deep-wildcard";
  const fixed = deep ? shape.length - 1 : shape.length;
  if (deep ? segments.length < fixed : segments.length !== fixed) {
    return false;
  }
  for (let index = 0; index < fixed; index++) {
    const segment = shape[index]!;
    if (segment.kind === "literal" && segment.value !== segments[index]) {
      return false;
    }
  }
  return true;
}

/**
 * The variables' values from segments that match the template (verb removed), decoded as
 * {@link matchPathTemplate} says.
 *
 * @throws PathEncodingError when a value is not well percent-encoded.
 */
export function bindVariables(template: PathTemplate, segments: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  const shape = template.segments;
  for (const variable of template.variables) {
    // Only "**" covers a number of segments other than its own count, and it is always last.
    const deep = shape[variable.end - 1]?.kind === "deep-wildcard";
    const end = deep ? segments.length : variable.end;
    const single = variable.end - variable.start === 1 && !deep;
    const value = single ? decodeSegment(segments[variable.start]!, false) : segments.slice(variable.start, end).map((segment) => decodeSegment(segment, true)).join("/");
    values.set(variable.fieldPath.join("."), value);
  }
  return values;
}

// Percent-encoded RFC 6570 reserved characters: :/?#[]@!$&'()*+,;=
const encodedReserved = /%(2[1346-9A-Ca-cFf]|3[ABDFabdf]|40|5[BDbd])/g;

/** Percent-decodes one segment, keeping reserved characters encoded when asked. */
function decodeSegment(segment: string, keepReserved: boolean): string {
  let percent = segment.indexOf("%");
  if (percent === -1) {
    return segment;
  }
  for (; percent !== -1; percent = segment.indexOf("%", percent + 3)) {
    if (!isHex(segment.charCodeAt(percent + 1)) || !isHex(segment.charCodeAt(percent + 2))) {
      throw new PathEncodingError(
        `invalid percent-encoding ${JSON.stringify(segment.slice(percent, percent + 3))} in the path segment ${JSON.stringify(segment)} (at ${percent})`,
        segment,
        percent,
      );
    }
  }
  // Escaping the "%" of a reserved character makes decodeURIComponent give it back as it was.
  const prepared = keepReserved ? segment.replace(encodedReserved, "%25$1") : segment;
  try {
    return decodeURIComponent(prepared);
  } catch {
    throw new PathEncodingError(`the percent-encoded bytes of the path segment ${JSON.stringify(segment)} are not UTF-8`, segment, 0);
  }
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}
