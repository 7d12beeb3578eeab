// The gateway's route table: a trie over template segments, so a request walks its own path through
// the table (literal child, then wildcard child, then "**") instead of trying every route.

import { bindVariables } from "./path-match.js";
import type { PathTemplate, TemplateSegment } from "./path-template.js";

/** One HTTP rule: a method (upper case, or "*" for any), a parsed template, and what to call. */
export interface Route<T> {
  readonly httpMethod: string;
  readonly template: PathTemplate;
  readonly value: T;
}

/**
 * What a request found: the route and its variables (decoded as `matchPathTemplate` decodes them); nothing
 * (404); or routes for the path under other methods only (405, with the methods for `Allow`).
 */
export type RouteMatch<T> =
  | { readonly kind: "found"; readonly route: Route<T>; readonly variables: Map<string, string> }
  | { readonly kind: "not-found" }
  | { readonly kind: "method-not-allowed"; readonly allow: readonly string[] };

/** A route table; see {@link createRouter}. */
export interface Router<T> {
  /**
   * The route for a request. `path` is the URL path without the query, still percent-encoded.
   *
   * @throws PathEncodingError when the chosen route's variables would take broken percent-encoding (a 400).
   */
  match(httpMethod: string, path: string): RouteMatch<T>;
}

/**
 * Builds a route table. When several templates match a path, the one with a literal at the first
 * position where they differ wins (literal before `*` before `**`; a fixed-length template beats `**`),
 * then one with a verb over one without, then the one declared first. `HEAD` is answered by `GET`
 * routes (in the same order), and `Allow` lists HEAD whenever it lists GET. Paths with empty segments
 * (`//`, a trailing `/`) are not found.
 *
 * @example
 * const router = createRouter([{ httpMethod: "GET", template: parsePathTemplate("/v1/{name=shelves/*}"), value: getShelf }]);
 * router.match("GET", "/v1/shelves/1"); // { kind: "found", route, variables: Map { "name" => "shelves/1" } }
 */
export function createRouter<T>(routes: readonly Route<T>[]): Router<T> {
  const root = createNode<T>();
  let hasVerbs = false;
  for (const [order, route] of routes.entries()) {
    insert(root, { route, order });
    hasVerbs ||= route.template.verb !== undefined;
  }
  return {
    match(httpMethod, path) {
      if (!path.startsWith("/")) {
        return notFound;
      }
      const segments = path.slice(1).split("/");
      if (segments.includes("")) {
        return notFound;
      }
      const method = httpMethod.toUpperCase();
      const accepts = (route: Route<T>) => route.httpMethod === method || route.httpMethod === "*" || (method === "HEAD" && route.httpMethod === "GET");
      // The last segment either is whole (templates without a verb) or ends in ":verb"; a verb has no
      // colon, so only the text after the last colon can be one.
      const last = segments[segments.length - 1]!;
      const colon = hasVerbs ? last.lastIndexOf(":") : -1;
      const split = colon > 0 && colon < last.length - 1 ? { segments: [...segments.slice(0, -1), last.slice(0, colon)], verb: last.slice(colon + 1) } : undefined;

      const whole = search(root, segments, 0, undefined, accepts);
      const verbed = split === undefined ? undefined : search(root, split.segments, 0, split.verb, accepts);
      const best = whole === undefined ? verbed : verbed === undefined || compareRoutes(whole, verbed) <= 0 ? whole : verbed;
      if (best !== undefined) {
        const variables = bindVariables(best.route.template, best === whole ? segments : split!.segments);
        return { kind: "found", route: best.route, variables };
      }

      // The slow path, for failures only: every method that has a route for this path.
      const methods = new Set<string>();
      const collect = (route: Route<T>) => {
        methods.add(route.httpMethod);
        return false;
      };
      search(root, segments, 0, undefined, collect);
      if (split !== undefined) {
        search(root, split.segments, 0, split.verb, collect);
      }
      if (methods.size === 0) {
        return notFound;
      }
      if (methods.has("GET")) {
        methods.add("HEAD");
      }
      return { kind: "method-not-allowed", allow: [...methods].sort() };
    },
  };
}

/**
 * Pairs of routes that match the same requests (same HTTP method and templates equal up to variable names),
 * for a clear error at generation time and at start. A "*" route collides with a route of any method. Each
 * pair is in declaration order; the second route of a pair could never be reached.
 */
export function findRouteCollisions<T>(routes: readonly Route<T>[]): Array<readonly [Route<T>, Route<T>]> {
  const byShape = new Map<string, Route<T>[]>();
  const collisions: Array<readonly [Route<T>, Route<T>]> = [];
  for (const route of routes) {
    const shape = shapeOf(route.template);
    const earlier = byShape.get(shape) ?? [];
    for (const other of earlier) {
      if (other.httpMethod === route.httpMethod || other.httpMethod === "*" || route.httpMethod === "*") {
        collisions.push([other, route]);
      }
    }
    earlier.push(route);
    byShape.set(shape, earlier);
  }
  return collisions;
}

const notFound = { kind: "not-found" } as const;

/** A route with its declaration index, for ties. */
interface Entry<T> {
  readonly route: Route<T>;
  readonly order: number;
}

interface TrieNode<T> {
  readonly literals: Map<string, TrieNode<T>>;
  wildcard: TrieNode<T> | undefined;
  /** Routes whose template ends here, in declaration order. */
  readonly ends: Entry<T>[];
  /** Routes whose template ends with "**" here, in declaration order. */
  readonly deep: Entry<T>[];
}

function createNode<T>(): TrieNode<T> {
  return { literals: new Map(), wildcard: undefined, ends: [], deep: [] };
}

function insert<T>(root: TrieNode<T>, entry: Entry<T>): void {
  let node = root;
  for (const segment of entry.route.template.segments) {
    switch (segment.kind) {
      case "deep-wildcard":
        // Always the last segment (the parser makes sure).
        node.deep.push(entry);
        return;
      case "wildcard":
        node = node.wildcard ??= createNode();
        break;
      case "literal": {
        let child = node.literals.get(segment.value);
        if (child === undefined) {
          child = createNode();
          node.literals.set(segment.value, child);
        }
        node = child;
        break;
      }
    }
  }
  node.ends.push(entry);
}

/**
 * The first route in precedence order that matches `segments` from `index` on, has the verb, and is
 * accepted. Depth first, literal child before wildcard child before "**", which is the precedence order.
 */
function search<T>(node: TrieNode<T>, segments: readonly string[], index: number, verb: string | undefined, accepts: (route: Route<T>) => boolean): Entry<T> | undefined {
  if (index === segments.length) {
    for (const entry of node.ends) {
      if (entry.route.template.verb === verb && accepts(entry.route)) {
        return entry;
      }
    }
  } else {
    const literal = node.literals.get(segments[index]!);
    const found = (literal && search(literal, segments, index + 1, verb, accepts)) ?? (node.wildcard && search(node.wildcard, segments, index + 1, verb, accepts));
    if (found !== undefined) {
      return found;
    }
  }
  for (const entry of node.deep) {
    if (entry.route.template.verb === verb && accepts(entry.route)) {
      return entry;
    }
  }
  return undefined;
}

const rank: Record<TemplateSegment["kind"], number> = { literal: 0, wildcard: 1, "deep-wildcard": 2 };

/** Negative when `a` takes precedence over `b` for a path both match. */
function compareRoutes<T>(a: Entry<T>, b: Entry<T>): number {
  const left = a.route.template;
  const right = b.route.template;
  const common = Math.min(left.segments.length, right.segments.length);
  for (let index = 0; index < common; index++) {
    const difference = rank[left.segments[index]!.kind] - rank[right.segments[index]!.kind];
    if (difference !== 0) {
      return difference;
    }
  }
  // Equal so far: the shorter one is fixed-length where the other goes on with "**".
  const length = left.segments.length - right.segments.length;
  if (length !== 0) {
    return length;
  }
  const verb = (left.verb === undefined ? 1 : 0) - (right.verb === undefined ? 1 : 0);
  return verb !== 0 ? verb : a.order - b.order;
}

/** The template without its variable names: two templates with the same shape match the same paths. */
function shapeOf(template: PathTemplate): string {
  const segments = template.segments.map((segment) => (segment.kind === "literal" ? segment.value : segment.kind === "wildcard" ? "*" : "**"));
  // Literals cannot contain "*" or ":", so this text is unambiguous.
  return "/" + segments.join("/") + (template.verb === undefined ? "" : `:${template.verb}`);
}
