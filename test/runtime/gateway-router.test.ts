// The gateway's route table: precedence among matching templates, verbs, 404 and 405 with Allow, HEAD,
// and collisions between routes.
import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { matchPathTemplate, PathEncodingError, splitRequestPath } from "../../runtime/src/gateway/path-match.js";
import { parsePathTemplate } from "../../runtime/src/gateway/path-template.js";
import { createRouter, findRouteCollisions, type Route, type RouteMatch } from "../../runtime/src/gateway/router.js";

function route(httpMethod: string, template: string, value = `${httpMethod} ${template}`): Route<string> {
  return { httpMethod, template: parsePathTemplate(template), value };
}

/** What a match comes to, in a form easy to compare. */
function outcome(match: RouteMatch<string>): unknown {
  switch (match.kind) {
    case "found":
      return { value: match.route.value, variables: Object.fromEntries(match.variables) };
    case "not-found":
      return "not-found";
    case "method-not-allowed":
      return { allow: match.allow };
  }
}

describe("precedence", () => {
  const router = createRouter([
    route("GET", "/v1/{name=**}"),
    route("GET", "/v1/{shelf}/books/{book}"),
    route("GET", "/v1/shelves/{shelf}/books/{book}"),
    route("GET", "/v1/shelves/{shelf}"),
    route("GET", "/v1/shelves/default"),
    route("GET", "/v1/shelves/{shelf}/**"),
    route("GET", "/v1/*/x"),
    route("GET", "/v1/a/**"),
    route("GET", "/v1/{first}"),
    route("GET", "/v1/{second}"),
  ]);

  test.each([
    ["/v1/shelves/default", "GET /v1/shelves/default", {}],
    ["/v1/shelves/s1", "GET /v1/shelves/{shelf}", { shelf: "s1" }],
    ["/v1/shelves/s1/books/b1", "GET /v1/shelves/{shelf}/books/{book}", { shelf: "s1", book: "b1" }],
    ["/v1/other/books/b1", "GET /v1/{shelf}/books/{book}", { shelf: "other", book: "b1" }],
    // A fixed-length template beats "**".
    ["/v1/shelves/s1/covers", "GET /v1/shelves/{shelf}/**", { shelf: "s1" }],
    ["/v1/shelves/s1/books/b1/pages", "GET /v1/shelves/{shelf}/**", { shelf: "s1" }],
    // A literal at the first position where they differ wins, even against a longer run of literals later.
    ["/v1/a/x", "GET /v1/a/**", {}],
    ["/v1/b/x", "GET /v1/*/x", {}],
    ["/v1/b/y/z", "GET /v1/{name=**}", { name: "b/y/z" }],
    ["/v1", "GET /v1/{name=**}", { name: "" }],
    // Same shape: the one declared first.
    ["/v1/anything", "GET /v1/{first}", { first: "anything" }],
  ])("%s goes to %s", (path, value, variables) => {
    expect(outcome(router.match("GET", path))).toEqual({ value, variables });
  });

  test("declaration order decides only between templates of the same shape", () => {
    const reversed = createRouter([route("GET", "/v1/{name}"), route("GET", "/v1/x")]);
    expect(outcome(reversed.match("GET", "/v1/x"))).toEqual({ value: "GET /v1/x", variables: {} });
    const order = createRouter([route("GET", "/v1/{b}", "second declared"), route("GET", "/v1/{a}", "first declared")].reverse());
    expect(outcome(order.match("GET", "/v1/x"))).toEqual({ value: "first declared", variables: { a: "x" } });
  });
});

describe("verbs and colons", () => {
  const router = createRouter([
    route("POST", "/v1/{name=operations/*}:cancel"),
    route("GET", "/v1/{name=operations/*}"),
    route("POST", "/v1/{name=operations/**}:undelete"),
    route("POST", "/v1/books:batchGet"),
    route("GET", "/v1/books/{id}"),
  ]);

  test.each([
    ["POST", "/v1/operations/op1:cancel", { value: "POST /v1/{name=operations/*}:cancel", variables: { name: "operations/op1" } }],
    ["GET", "/v1/operations/op1", { value: "GET /v1/{name=operations/*}", variables: { name: "operations/op1" } }],
    // No GET template has this verb: the colon is part of the value.
    ["GET", "/v1/operations/op1:cancel", { value: "GET /v1/{name=operations/*}", variables: { name: "operations/op1:cancel" } }],
    ["GET", "/v1/books/a:b", { value: "GET /v1/books/{id}", variables: { id: "a:b" } }],
    ["POST", "/v1/operations/a/b:undelete", { value: "POST /v1/{name=operations/**}:undelete", variables: { name: "operations/a/b" } }],
    ["POST", "/v1/operations:undelete", { value: "POST /v1/{name=operations/**}:undelete", variables: { name: "operations" } }],
    ["POST", "/v1/books:batchGet", { value: "POST /v1/books:batchGet", variables: {} }],
    ["POST", "/v1/books:batchget", "not-found"],
    // An empty verb is no verb: the GET route takes the colon into its value.
    ["POST", "/v1/operations/op1:", { allow: ["GET", "HEAD"] }],
    ["POST", "/v1/:cancel", "not-found"],
    // A verb route for POST only: GET gets 405.
    ["GET", "/v1/books:batchGet", { allow: ["POST"] }],
  ])("%s %s", (method, path, expected) => {
    expect(outcome(router.match(method, path))).toEqual(expected);
  });

  test("with a verb template and a template without one for the same path, the verb one wins", () => {
    const both = createRouter([route("GET", "/v1/{name}"), route("GET", "/v1/{name}:get")]);
    expect(outcome(both.match("GET", "/v1/a:get"))).toEqual({ value: "GET /v1/{name}:get", variables: { name: "a" } });
    expect(outcome(both.match("GET", "/v1/a:other"))).toEqual({ value: "GET /v1/{name}", variables: { name: "a:other" } });
    // But a literal earlier still comes first.
    const literalFirst = createRouter([route("GET", "/v1/{x}/{name}:get"), route("GET", "/v1/a/{rest=**}")]);
    expect(outcome(literalFirst.match("GET", "/v1/a/b:get"))).toEqual({ value: "GET /v1/a/{rest=**}", variables: { rest: "b:get" } });
    expect(outcome(literalFirst.match("GET", "/v1/c/b:get"))).toEqual({ value: "GET /v1/{x}/{name}:get", variables: { x: "c", name: "b" } });
  });
});

describe("404 and 405", () => {
  const router = createRouter([
    route("GET", "/v1/shelves/{shelf}"),
    route("DELETE", "/v1/shelves/{shelf}"),
    route("PATCH", "/v1/shelves/{shelf}"),
    route("PATCH", "/v1/{name=shelves/*}"),
    route("POST", "/v1/shelves"),
    route("PUT", "/v1/{name=**}"),
    route("*", "/v1/any/{thing}"),
  ]);

  test.each([
    ["POST", "/v1/shelves/s1", { allow: ["DELETE", "GET", "HEAD", "PATCH", "PUT"] }],
    ["GET", "/v1/shelves", { allow: ["POST", "PUT"] }],
    ["GET", "/v2/shelves", "not-found"],
    ["GET", "/", "not-found"],
    ["GET", "", "not-found"],
    ["GET", "v1/shelves/s1", "not-found"],
    // Trailing slashes and empty segments are not found, not an error.
    ["GET", "/v1/shelves/s1/", "not-found"],
    ["PUT", "/v1/shelves//s1", "not-found"],
    ["PUT", "//v1/shelves", "not-found"],
    ["GET", "/v1/shelves/s1/books", { allow: ["PUT"] }],
  ])("%s %s", (method, path, expected) => {
    expect(outcome(router.match(method, path))).toEqual(expected);
  });

  test('a "*" route takes every method', () => {
    for (const method of ["GET", "POST", "OPTIONS", "PROPFIND"]) {
      expect(outcome(router.match(method, "/v1/any/x"))).toEqual({ value: "* /v1/any/{thing}", variables: { thing: "x" } });
    }
  });

  test("HEAD is answered by GET routes; a method in lower case is the same method", () => {
    expect(outcome(router.match("HEAD", "/v1/shelves/s1"))).toEqual({ value: "GET /v1/shelves/{shelf}", variables: { shelf: "s1" } });
    expect(outcome(router.match("get", "/v1/shelves/s1"))).toEqual({ value: "GET /v1/shelves/{shelf}", variables: { shelf: "s1" } });
    expect(outcome(router.match("HEAD", "/v1/shelves"))).toEqual({ allow: ["POST", "PUT"] });
    const explicit = createRouter([route("HEAD", "/v1/x"), route("GET", "/v1/x")]);
    expect(outcome(explicit.match("HEAD", "/v1/x"))).toEqual({ value: "HEAD /v1/x", variables: {} });
    expect(outcome(explicit.match("POST", "/v1/x"))).toEqual({ allow: ["GET", "HEAD"] });
  });

  test("an empty table finds nothing", () => {
    expect(createRouter([]).match("GET", "/v1")).toEqual({ kind: "not-found" });
  });
});

test("broken percent-encoding in a variable of the chosen route throws a PathEncodingError", () => {
  const router = createRouter([route("GET", "/v1/{name}"), route("GET", "/v1/%41")]);
  expect(() => router.match("GET", "/v1/a%zz")).toThrow(PathEncodingError);
  expect(() => router.match("GET", "/v1/%FF")).toThrow('the percent-encoded bytes of the path segment "%FF" are not UTF-8');
  expect(outcome(router.match("GET", "/v1/%41"))).toEqual({ value: "GET /v1/%41", variables: {} });
  // A route without variables has nothing to decode.
  expect(outcome(createRouter([route("GET", "/v1/*")]).match("GET", "/v1/%zz"))).toEqual({ value: "GET /v1/*", variables: {} });
});

test("findRouteCollisions reports routes with the same method and the same template up to variable names", () => {
  const routes = [
    route("GET", "/v1/{name}"),
    route("GET", "/v1/{id=*}"),
    route("POST", "/v1/{name}"),
    route("GET", "/v1/{name}:get"),
    route("GET", "/v1/*:get"),
    route("GET", "/v1/{name=shelves/**}"),
    route("GET", "/v1/shelves/{rest=**}"),
    route("GET", "/v1/{name=shelves/*}"),
    route("*", "/v1/{x}"),
    route("DELETE", "/v2/{x}"),
  ];
  const names = findRouteCollisions(routes).map(([first, second]) => [first.value, second.value]);
  expect(names).toEqual([
    ["GET /v1/{name}", "GET /v1/{id=*}"],
    ["GET /v1/{name}:get", "GET /v1/*:get"],
    ["GET /v1/{name=shelves/**}", "GET /v1/shelves/{rest=**}"],
    ["GET /v1/{name}", "* /v1/{x}"],
    ["GET /v1/{id=*}", "* /v1/{x}"],
    ["POST /v1/{name}", "* /v1/{x}"],
  ]);
  expect(findRouteCollisions([route("GET", "/v1/{a}/b"), route("GET", "/v1/a/{b}"), route("GET", "/v1/{a}/b:x")])).toEqual([]);
});

// The router agrees with matching each template on its own: for random tables over a small alphabet (so
// that templates overlap), the route found is the first of the matching routes in the documented order.
test("the router agrees with matchPathTemplate and the documented precedence on random tables", () => {
  const rank = { literal: 0, wildcard: 1, "deep-wildcard": 2 } as const;
  // Positions first (literal, then "*", then "**"), then the shorter, then the one with a verb, then declaration order.
  const precedence = (left: Route<string>, right: Route<string>) => {
    const [a, b] = [left.template, right.template];
    for (let index = 0; index < Math.min(a.segments.length, b.segments.length); index++) {
      const difference = rank[a.segments[index]!.kind] - rank[b.segments[index]!.kind];
      if (difference !== 0) {
        return difference;
      }
    }
    return a.segments.length - b.segments.length || (a.verb === undefined ? 1 : 0) - (b.verb === undefined ? 1 : 0) || Number(left.value) - Number(right.value);
  };
  const template = fc
    .tuple(fc.array(fc.constantFrom("a", "b", "*", "{v}"), { minLength: 1, maxLength: 3 }), fc.boolean(), fc.option(fc.constantFrom("x", "y"), { nil: undefined }))
    .map(([segments, deep, verb]) => {
      const parts = segments.map((part, index) => (part === "{v}" ? `{v${index}}` : part));
      return "/" + [...parts, ...(deep ? ["{rest=**}"] : [])].join("/") + (verb === undefined ? "" : `:${verb}`);
    });
  const table = fc.array(fc.tuple(fc.constantFrom("GET", "POST"), template), { minLength: 1, maxLength: 8 });
  const request = fc.tuple(fc.array(fc.constantFrom("a", "b", "c", "a:x"), { minLength: 1, maxLength: 5 }), fc.option(fc.constantFrom("x", "y"), { nil: undefined }));
  fc.assert(
    fc.property(table, request, (entries, [segments, verb]) => {
      const routes = entries.map(([method, source], index) => route(method, source, `${index}`));
      const path = "/" + segments.join("/") + (verb === undefined ? "" : `:${verb}`);
      const matching = routes.filter((candidate) => matchPathTemplate(candidate.template, splitRequestPath(path)) !== undefined);
      const best = matching.filter((candidate) => candidate.httpMethod === "GET").sort(precedence)[0];
      const found = createRouter(routes).match("GET", path);
      if (best !== undefined) {
        expect(found).toEqual({ kind: "found", route: best, variables: matchPathTemplate(best.template, splitRequestPath(path)) });
      } else if (matching.length > 0) {
        expect(found).toEqual({ kind: "method-not-allowed", allow: ["POST"] });
      } else {
        expect(found).toEqual({ kind: "not-found" });
      }
    }),
    { numRuns: 500 },
  );
});

test("a large table finds the right route among many alike", () => {
  const routes: Route<string>[] = [];
  for (let resource = 0; resource < 500; resource++) {
    routes.push(route("GET", `/v1/resource${resource}/{id}`), route("POST", `/v1/resource${resource}`), route("POST", `/v1/{name=resource${resource}/*}:cancel`));
  }
  const router = createRouter(routes);
  expect(outcome(router.match("POST", "/v1/resource499/r1:cancel"))).toEqual({ value: "POST /v1/{name=resource499/*}:cancel", variables: { name: "resource499/r1" } });
  expect(outcome(router.match("GET", "/v1/resource250/x"))).toEqual({ value: "GET /v1/resource250/{id}", variables: { id: "x" } });
});
