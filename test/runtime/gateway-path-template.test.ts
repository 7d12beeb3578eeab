// google.api.http path templates: the grammar, its errors, the OpenAPI form, and matching one template
// (verbs, colons, percent-decoding).
import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { matchPathTemplate, PathEncodingError, splitRequestPath } from "../../runtime/src/gateway/path-match.js";
import { openApiPath, parsePathTemplate, PathTemplateError } from "../../runtime/src/gateway/path-template.js";

const literal = (value: string) => ({ kind: "literal", value }) as const;
const wildcard = { kind: "wildcard" } as const;
const deep = { kind: "deep-wildcard" } as const;

function match(template: string, path: string): Record<string, string> | undefined {
  const values = matchPathTemplate(parsePathTemplate(template), splitRequestPath(path));
  return values === undefined ? undefined : Object.fromEntries(values);
}

describe("parsePathTemplate", () => {
  test.each([
    ["/v1", [literal("v1")], [], undefined],
    ["/v1/shelves", [literal("v1"), literal("shelves")], [], undefined],
    ["/v1/*", [literal("v1"), wildcard], [], undefined],
    ["/v1/**", [literal("v1"), deep], [], undefined],
    ["/v1/*/x:get", [literal("v1"), wildcard, literal("x")], [], "get"],
    ["/v1/{name}", [literal("v1"), wildcard], [{ fieldPath: ["name"], start: 1, end: 2 }], undefined],
    ["/v1/{name=*}", [literal("v1"), wildcard], [{ fieldPath: ["name"], start: 1, end: 2 }], undefined],
    ["/v1/{book.name}", [literal("v1"), wildcard], [{ fieldPath: ["book", "name"], start: 1, end: 2 }], undefined],
    ["/v1/{name=shelves/*}", [literal("v1"), literal("shelves"), wildcard], [{ fieldPath: ["name"], start: 1, end: 3 }], undefined],
    ["/v1/{name=shelves/*/books/**}", [literal("v1"), literal("shelves"), wildcard, literal("books"), deep], [{ fieldPath: ["name"], start: 1, end: 5 }], undefined],
    ["/v1/{name=**}:undelete", [literal("v1"), deep], [{ fieldPath: ["name"], start: 1, end: 2 }], "undelete"],
    [
      "/v1/{parent=shelves/*}/books/{book_id}:move",
      [literal("v1"), literal("shelves"), wildcard, literal("books"), wildcard],
      [
        { fieldPath: ["parent"], start: 1, end: 3 },
        { fieldPath: ["book_id"], start: 4, end: 5 },
      ],
      "move",
    ],
    ["/{_a.B9}", [wildcard], [{ fieldPath: ["_a", "B9"], start: 0, end: 1 }], undefined],
    ["/v1/{x=literal}", [literal("v1"), literal("literal")], [{ fieldPath: ["x"], start: 1, end: 2 }], undefined],
    // RFC 3986 path characters other than ":" and "*", percent-encodings included.
    ["/a-b.c_d~e/!$&'()+,;=@/%2F%e2%82%ac", [literal("a-b.c_d~e"), literal("!$&'()+,;=@"), literal("%2F%e2%82%ac")], [], undefined],
    ["/v1:batchGet", [literal("v1")], [], "batchGet"],
  ])("%s", (source, segments, variables, verb) => {
    expect(parsePathTemplate(source)).toEqual({ source, segments, variables, verb });
  });

  test.each([
    ["", 'a template must start with "/", got "" (at 0)'],
    ["v1/x", 'a template must start with "/", got "v1/x" (at 0)'],
    ["/", 'empty segment in "/" (at 1)'],
    ["/v1/", 'empty segment in "/v1/" (at 4)'],
    ["/v1//x", 'empty segment in "/v1//x" (at 4)'],
    ["/v1/:get", 'empty segment in "/v1/:get" (at 4)'],
    ["/v1/{name=}", 'empty segment in "/v1/{name=}" (at 10)'],
    ["/v1/**/x", '"**" must be the last segment of "/v1/**/x" (at 4)'],
    ["/v1/{name=**}/x", '"**" must be the last segment of "/v1/{name=**}/x" (at 10)'],
    ["/v1/**/**", '"**" must be the last segment of "/v1/**/**" (at 4)'],
    ["/v1/*a", '"*" must be a whole segment in "/v1/*a" (at 4)'],
    ["/v1/***", '"**" must be a whole segment in "/v1/***" (at 4)'],
    ["/v1/a*", '"*" must be a whole segment in "/v1/a*" (at 5)'],
    ["/v1/a{b}", 'a variable must be a whole segment in "/v1/a{b}" (at 5)'],
    ["/v1/{a}{b}", 'unexpected "{" in "/v1/{a}{b}" (at 7)'],
    ["/v1/{a}b", 'unexpected "b" in "/v1/{a}b" (at 7)'],
    ["/v1/{a={b}}", 'variables must not nest in "/v1/{a={b}}" (at 7)'],
    ["/v1/{a=x/{b=*}}", 'variables must not nest in "/v1/{a=x/{b=*}}" (at 9)'],
    ["/v1/{a}/{a}", 'the field path "a" names more than one variable in "/v1/{a}/{a}" (at 9)'],
    ["/v1/{a.b}/{a.b=x/*}", 'the field path "a.b" names more than one variable in "/v1/{a.b}/{a.b=x/*}" (at 11)'],
    ["/v1/{name", 'unterminated variable "name", expected "}" in "/v1/{name" (at 4)'],
    ["/v1/{name=a/*", 'unterminated variable "name", expected "}" in "/v1/{name=a/*" (at 4)'],
    ["/v1/{name:get}", 'unexpected ":" in the variable "name", expected "}" in "/v1/{name:get}" (at 9)'],
    ["/v1/{name=a:b}", 'unexpected ":" in the variable "name", expected "}" in "/v1/{name=a:b}" (at 11)'],
    ["/v1/{}", 'expected a field name, got "}" in "/v1/{}" (at 5)'],
    ["/v1/{", 'expected a field name, got the end in "/v1/{" (at 5)'],
    ["/v1/{9a}", 'expected a field name, got "9" in "/v1/{9a}" (at 5)'],
    ["/v1/{a.}", 'expected a field name, got "}" in "/v1/{a.}" (at 7)'],
    ["/v1/{a-b}", 'unexpected "-" in the variable "a", expected "}" in "/v1/{a-b}" (at 6)'],
    ["/v1/}", 'unexpected "}" outside a variable in "/v1/}" (at 4)'],
    ["/v1/a}", 'unexpected "}" outside a variable in "/v1/a}" (at 5)'],
    ["/v1/a b", 'invalid character " " in "/v1/a b" (at 5)'],
    ["/v1/?q", 'invalid character "?" in "/v1/?q" (at 4)'],
    ["/v1/a#b", 'invalid character "#" in "/v1/a#b" (at 5)'],
    ["/v1/é", 'invalid character "é" in "/v1/é" (at 4)'],
    ["/v1/%zz", 'invalid percent-encoding "%zz" in "/v1/%zz" (at 4)'],
    ["/v1/a%2", 'invalid percent-encoding "%2" in "/v1/a%2" (at 5)'],
    ["/v1/x:", 'the verb after ":" is empty in "/v1/x:" (at 6)'],
    ["/v1/x:a:b", 'unexpected ":" after the verb ":a" in "/v1/x:a:b" (at 7)'],
    ["/v1/x:a/b", 'unexpected "/" after the verb ":a" in "/v1/x:a/b" (at 7)'],
    ["/v1/x:*", 'the verb after ":" is empty in "/v1/x:*" (at 6)'],
  ])("%j is rejected", (source, message) => {
    let error: unknown;
    try {
      parsePathTemplate(source);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(PathTemplateError);
    expect((error as PathTemplateError).message).toBe(message);
    expect((error as PathTemplateError).template).toBe(source);
    expect((error as PathTemplateError).position).toBe(Number(/\(at (\d+)\)$/.exec(message)![1]));
  });
});

test.each([
  ["/v1/shelves", "/v1/shelves"],
  ["/v1/{name}", "/v1/{name}"],
  ["/v1/{name=shelves/*}", "/v1/{name}"],
  ["/v1/{book.name=shelves/*/books/**}:get", "/v1/{book.name}:get"],
  ["/v1/{parent=shelves/*}/books/{book_id}", "/v1/{parent}/books/{book_id}"],
  ["/v1/*/x/**", "/v1/*/x/**"],
])("openApiPath(%s) is %s", (source, expected) => {
  expect(openApiPath(parsePathTemplate(source))).toBe(expected);
});

describe("matchPathTemplate", () => {
  test("literals, wildcards and variables", () => {
    expect(match("/v1/shelves", "/v1/shelves")).toEqual({});
    expect(match("/v1/shelves", "/v1/shelve")).toBeUndefined();
    expect(match("/v1/shelves", "/v1/shelves/1")).toBeUndefined();
    expect(match("/v1/*", "/v1/x")).toEqual({});
    expect(match("/v1/{name}", "/v1/x")).toEqual({ name: "x" });
    expect(match("/v1/{name}", "/v1/x/y")).toBeUndefined();
    expect(match("/v1/{name}", "/v1")).toBeUndefined();
    expect(match("/v1/{name=shelves/*}/books/{book.id}", "/v1/shelves/s1/books/b1")).toEqual({ name: "shelves/s1", "book.id": "b1" });
    expect(match("/v1/{name=shelves/*}", "/v1/books/s1")).toBeUndefined();
  });

  test('"**" takes zero or more segments', () => {
    expect(match("/v1/{name=**}", "/v1/a/b/c")).toEqual({ name: "a/b/c" });
    expect(match("/v1/{name=**}", "/v1/a")).toEqual({ name: "a" });
    expect(match("/v1/{name=**}", "/v1")).toEqual({ name: "" });
    expect(match("/v1/{name=shelves/**}", "/v1/shelves")).toEqual({ name: "shelves" });
    expect(match("/v1/{name=shelves/**}", "/v1/shelves/a/b")).toEqual({ name: "shelves/a/b" });
    expect(match("/v1/{name=shelves/**}", "/v1/books/a")).toBeUndefined();
  });

  test("empty segments and trailing slashes match nothing", () => {
    expect(match("/v1/{name=**}", "/v1/a//b")).toBeUndefined();
    expect(match("/v1/{name=**}", "/v1/a/")).toBeUndefined();
    expect(match("/v1/*", "/v1/")).toBeUndefined();
    expect(match("/v1", "/v1/")).toBeUndefined();
    expect(match("/v1", "v1")).toBeUndefined();
    expect(splitRequestPath("/")).toEqual({ segments: [""] });
  });

  test("a verb is split off only for templates that have one", () => {
    expect(match("/v1/{name}:cancel", "/v1/op1:cancel")).toEqual({ name: "op1" });
    expect(match("/v1/{name}", "/v1/op1:cancel")).toEqual({ name: "op1:cancel" });
    expect(match("/v1/{name}:cancel", "/v1/op1")).toBeUndefined();
    expect(match("/v1/{name}:cancel", "/v1/op1:undo")).toBeUndefined();
    // Nothing before the colon: no segment for the variable.
    expect(match("/v1/{name}:cancel", "/v1/:cancel")).toBeUndefined();
    // Colons before the verb stay in the value.
    expect(match("/v1/{name}:cancel", "/v1/a:b:cancel")).toEqual({ name: "a:b" });
    expect(match("/v1/{name=**}:get", "/v1/a/b:get")).toEqual({ name: "a/b" });
    expect(match("/v1:batchGet", "/v1:batchGet")).toEqual({});
    expect(match("/v1/x:get", "/v1/x")).toBeUndefined();
    // The verb is not percent-decoded before comparing, as literals are not.
    expect(match("/v1/{name}:get", "/v1/a%3Aget")).toBeUndefined();
  });

  test("a single-segment variable is fully decoded; a multi-segment one keeps reserved characters encoded", () => {
    expect(match("/v1/{name}", "/v1/a%2Fb%20c%E2%82%AC%3a")).toEqual({ name: "a/b c€:" });
    expect(match("/v1/{name=shelves/*}", "/v1/shelves/a%2Fb%20c%E2%82%AC")).toEqual({ name: "shelves/a%2Fb c€" });
    expect(match("/v1/{name=**}", "/v1/a%2fb/%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A")).toEqual({ name: "a%2fb/%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A" });
    // Unreserved characters and "%" itself are decoded.
    expect(match("/v1/{name=**}", "/v1/%41%2D%2E%5F%7E%25")).toEqual({ name: "A-._~%" });
    // Literals are compared as written.
    expect(match("/v1/shelves", "/v1/%73helves")).toBeUndefined();
  });

  test("broken percent-encoding in a value throws a PathEncodingError", () => {
    expect(() => match("/v1/{name}", "/v1/a%zz")).toThrow(new PathEncodingError('invalid percent-encoding "%zz" in the path segment "a%zz" (at 1)', "a%zz", 1));
    expect(() => match("/v1/{name=**}", "/v1/a/b%4")).toThrow('invalid percent-encoding "%4" in the path segment "b%4" (at 1)');
    expect(() => match("/v1/{name}", "/v1/%")).toThrow('invalid percent-encoding "%" in the path segment "%" (at 0)');
    expect(() => match("/v1/{name}", "/v1/%FF")).toThrow('the percent-encoded bytes of the path segment "%FF" are not UTF-8');
    expect(() => match("/v1/{name=**}", "/v1/%C3")).toThrow(PathEncodingError);
    // Outside variables there is nothing to decode: the path just does not match.
    expect(match("/v1/x", "/v1/%zz")).toBeUndefined();
    expect(match("/v1/*", "/v1/%zz")).toEqual({});
  });
});

// Values with characters that need percent-encoding, as clients would send them.
const valueCharacters = fc.constantFrom(..."aZ09-._~ /%?#[]@!$&'()*+,;=:é€😀");
const segmentValue = fc.string({ unit: valueCharacters, minLength: 1, maxLength: 8 });
const literalValue = fc.string({ unit: fc.constantFrom(..."abcXYZ019-._~"), minLength: 1, maxLength: 6 });
const fieldName = fc.string({ unit: fc.constantFrom(..."abc_xyz"), minLength: 1, maxLength: 5 });

type Part = { kind: "literal"; value: string } | { kind: "single"; value: string } | { kind: "multi"; literal: string; values: string[] };

const part: fc.Arbitrary<Part> = fc.oneof(
  literalValue.map((value) => ({ kind: "literal" as const, value })),
  segmentValue.map((value) => ({ kind: "single" as const, value })),
  fc.tuple(literalValue, fc.array(segmentValue, { minLength: 1, maxLength: 3 })).map(([literal, values]) => ({ kind: "multi" as const, literal, values })),
);

test("templates built from random parts match the paths built from them and give the values back", () => {
  fc.assert(
    fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), fc.option(literalValue, { nil: undefined }), fc.array(segmentValue, { maxLength: 3 }), (parts, verb, tail) => {
      const template: string[] = [];
      const path: string[] = [];
      const expected: Record<string, string> = {};
      parts.forEach((item, index) => {
        const name = `f${index}`;
        switch (item.kind) {
          case "literal":
            template.push(item.value);
            path.push(item.value);
            break;
          case "single":
            template.push(`{${name}}`);
            path.push(encodeURIComponent(item.value));
            expected[name] = item.value;
            break;
          case "multi":
            template.push(`{${name}=${item.literal}${"/*".repeat(item.values.length)}}`);
            path.push(item.literal, ...item.values.map(encodeURIComponent));
            // Each segment decoded, reserved characters still encoded (encodeURIComponent writes upper-case hex).
            expected[name] = [item.literal, ...item.values.map(keepReservedEncoded)].join("/");
            break;
        }
      });
      // A "**" variable at the end takes the rest.
      template.push("{rest=**}");
      path.push(...tail.map(encodeURIComponent));
      expected["rest"] = tail.map(keepReservedEncoded).join("/");
      const source = "/" + template.join("/") + (verb === undefined ? "" : `:${verb}`);
      const request = "/" + path.join("/") + (verb === undefined ? "" : `:${verb}`);
      expect(match(source, request)).toEqual(expected);
      // With a verb, the path without it does not match; without one, a path with one still does (the colon goes into the value).
      if (verb !== undefined) {
        expect(match(source, "/" + path.join("/"))).toBeUndefined();
      }
    }),
  );
});

test("single-segment values round-trip through encodeURIComponent", () => {
  fc.assert(
    fc.property(fieldName, fc.string({ unit: "binary", minLength: 1 }), (name, value) => {
      expect(match(`/v1/{${name}}`, `/v1/${encodeURIComponent(value)}`)).toEqual({ [name]: value });
    }),
  );
});

// What a multi-segment value looks like after decoding: reserved characters that the client encoded stay encoded.
function keepReservedEncoded(value: string): string {
  return [...value].map((character) => (":/?#[]@!$&'()*+,;=".includes(character) ? encodeURIComponent(character) : character)).join("");
}
