// The plugin's OpenAPI documents (option openapi=true): valid OpenAPI 3.1, with the routes the
// gateway serves, and schemas that the JSON the gateway writes passes.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { create, createFileRegistry, fromBinary, protoInt64, toJson, type DescMessage, type FileRegistry, type JsonObject } from "@bufbuild/protobuf";
import { anyPack, FileDescriptorSetSchema, timestampFromDate, type FileDescriptorSet } from "@bufbuild/protobuf/wkt";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { openApiDocument } from "nats-micro-runtime/gateway/rules";
import { binPath, rootDirectory } from "../helpers/paths.js";
import { runPlugin, type PluginRun, type ProtoFiles } from "../helpers/run-plugin.js";
import { runProcess } from "../helpers/run-process.js";

// google.api.http's protos, which the inline protos import: put beside them, as the plugin
// package ships them for users' include paths.
const googleApis = ["google/api/http.proto", "google/api/annotations.proto"];

const libraryProto = `syntax = "proto3";

package lib.v1;

import "google/api/annotations.proto";
import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

// Books on shelves.
service Library {
  // Gets one book by its resource name.
  rpc GetBook(GetBookRequest) returns (Book) {
    option idempotency_level = NO_SIDE_EFFECTS;
    option (google.api.http) = {get: "/v1/{name=shelves/*/books/*}"};
  }

  // Lists the books of a shelf, or of every shelf.
  rpc ListBooks(ListBooksRequest) returns (ListBooksResponse) {
    option (google.api.http) = {
      get: "/v1/{parent=shelves/*}/books"
      additional_bindings {get: "/v1/books"}
    };
  }

  // Adds a book to a shelf.
  rpc CreateBook(CreateBookRequest) returns (Book) {
    option (google.api.http) = {
      post: "/v1/{parent=shelves/*}/books"
      body: "book"
    };
  }

  // Moves a book to another shelf.
  rpc MoveBook(MoveBookRequest) returns (Book) {
    option (google.api.http) = {
      post: "/v1/{name=shelves/*/books/*}:move"
      body: "*"
    };
  }

  // Searches every shelf; the reply is the list of results alone.
  rpc Search(SearchRequest) returns (SearchResponse) {
    option (google.api.http) = {
      get: "/v1/search"
      response_body: "results"
    };
  }

  // Answers with what it got; reachable in the Connect protocol only.
  rpc Echo(Book) returns (Book);
}

// A book.
message Book {
  // shelves/<shelf>/books/<book>
  string name = 1;
  string title = 2;
  Genre genre = 3;
  int32 pages = 4;
  int64 isbn = 5;
  uint64 copies = 6;
  double rating = 7;
  float weight = 8;
  bytes cover = 9;
  repeated string tags = 10;
  map<string, int32> counts = 11;
  map<int64, string> notes = 12;
  google.protobuf.Timestamp published = 13;
  google.protobuf.Duration loan_period = 14;
  google.protobuf.Int32Value edition = 15;
  google.protobuf.Struct extra = 16;
  google.protobuf.Value anything = 17;
  google.protobuf.FieldMask mask = 18;
  google.protobuf.Any attachment = 19;
  oneof source {
    string url = 20;
    Shelf shelf = 21;
  }
  optional string subtitle = 22;
  Book sequel = 23;
  repeated Genre genres = 24;
}

message Shelf {
  string name = 1; // The shelf's resource name.
}

// Kinds of books.
enum Genre {
  GENRE_UNSPECIFIED = 0;
  // Made up.
  GENRE_FICTION = 1;
  GENRE_HISTORY = 2;
}

message GetBookRequest {
  string name = 1;
}

message ListBooksRequest {
  string parent = 1;
  int32 page_size = 2;
}

message ListBooksResponse {
  repeated Book books = 1;
}

message CreateBookRequest {
  string parent = 1;
  Book book = 2;
  // An id of the caller's choosing.
  string book_id = 3;
}

message MoveBookRequest {
  string name = 1;
  string to_shelf = 2;
}

message SearchRequest {
  string query = 1;
  repeated string tags = 2;
  Genre genre = 3;
  // Narrows the results.
  message Filter {
    int32 min_pages = 1;
    bool available = 2;
    Filter and_also = 3;
    map<string, string> labels = 4;
  }
  Filter filter = 4;
  google.protobuf.Timestamp published_after = 5;
  google.protobuf.Int32Value limit = 6;
  int64 big = 7;
  repeated Filter filters = 8;
  google.protobuf.Struct extra = 9;
  repeated int64 ids = 10;
}

message SearchResponse {
  repeated Book results = 1;
  int32 total = 2;
}
`;

const badProto = `syntax = "proto3";

package bad.v1;

import "google/api/annotations.proto";

service Bad {
  rpc Repeated(Request) returns (Request) {
    option (google.api.http) = {get: "/v1/{tags}"};
  }
  rpc GetWithBody(Request) returns (Request) {
    option (google.api.http) = {get: "/v1/things" body: "*"};
  }
  rpc UnknownBody(Request) returns (Request) {
    option (google.api.http) = {post: "/v1/things" body: "nope"};
  }
  // The gateway routes server-streaming methods too: their rules are checked alike.
  rpc WatchRepeated(Request) returns (stream Request) {
    option (google.api.http) = {get: "/v1/watch/{tags}"};
  }
}

message Request {
  repeated string tags = 1;
}
`;

const withOpenApi = ["target=ts", "import_extension=js", "openapi=true"];
const documentPath = "lib/v1/library.openapi.json";

let googleApiProtos: ProtoFiles;
let run: PluginRun;
let bad: PluginRun;
let plain: PluginRun;
let badValue: PluginRun;
let jsOnly: PluginRun;
let document: JsonObject;
let registry: FileRegistry;

function protosWith(files: ProtoFiles): ProtoFiles {
  return { ...googleApiProtos, ...files };
}

beforeAll(async () => {
  googleApiProtos = Object.fromEntries(await Promise.all(googleApis.map(async (path) => [path, await readFile(join(rootDirectory, "plugin", "googleapis", path), "utf8")] as const)));
  const library = protosWith({ "lib/v1/library.proto": libraryProto });
  [run, bad, plain, badValue, jsOnly, registry] = await Promise.all([
    runPlugin(library, { options: withOpenApi }),
    runPlugin(protosWith({ "bad/v1/bad.proto": badProto }), { options: withOpenApi }),
    runPlugin(library),
    runPlugin(library, { options: ["target=ts", "openapi=yes"] }),
    runPlugin(library, { options: ["target=js", "openapi=true"] }),
    buildRegistry(library),
  ]);
  if (run.error !== undefined) {
    throw new Error(run.error);
  }
  document = JSON.parse(run.files[documentPath] ?? "null") as JsonObject;
}, 90_000);

// The descriptors of the protos, as buf builds them, for messages to write as JSON.
async function buildRegistry(protos: ProtoFiles): Promise<FileRegistry> {
  const directory = await mkdtemp(join(tmpdir(), "openapi-test-"));
  try {
    for (const [path, content] of Object.entries(protos)) {
      await mkdir(dirname(join(directory, "proto", path)), { recursive: true });
      await writeFile(join(directory, "proto", path), content);
    }
    await writeFile(join(directory, "buf.yaml"), "version: v2\nmodules:\n  - path: proto\n");
    const build = await runProcess(binPath("buf"), ["build", "--as-file-descriptor-set", "-o", "set.binpb"], { cwd: directory, timeoutMs: 20_000 });
    if (build.exitCode !== 0) {
      throw new Error(build.stderr);
    }
    const set: FileDescriptorSet = fromBinary(FileDescriptorSetSchema, await readFile(join(directory, "set.binpb")));
    return createFileRegistry(set);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

// Reads a value of the document by its path: at(document, "paths", "/v1/books", "get").
function at(value: unknown, ...keys: string[]): any {
  let current = value;
  for (const key of keys) {
    if (typeof current !== "object" || current === null || !(key in current)) {
      throw new Error(`no ${JSON.stringify(key)} in ${keys.join(" / ")}`);
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function parameterNames(path: string, method: string): string[] {
  return (at(document, "paths", path, method, "parameters") as { name: string; in: string }[]).map((parameter) => `${parameter.in}:${parameter.name}`);
}

function parameter(path: string, method: string, name: string): JsonObject {
  const found = (at(document, "paths", path, method, "parameters") as JsonObject[]).find((candidate) => candidate["name"] === name);
  if (found === undefined) {
    throw new Error(`no parameter ${name} of ${method} ${path}`);
  }
  return found;
}

// An Ajv for the document's schemas: `#/components/schemas/...` resolve inside the document.
function schemaValidator(openApi: JsonObject) {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addFormats.default(ajv);
  // Formats that OpenAPI's registry names and ajv-formats does not: checked by the patterns beside them.
  ajv.addFormat("uint32", true).addFormat("uint64", true);
  ajv.addKeyword("components");
  ajv.addSchema({ $id: "openapi.json", components: at(openApi, "components") as JsonObject });
  return (name: string) => ajv.compile({ $ref: `openapi.json#/components/schemas/${name}` });
}

describe("openapi=true", () => {
  test("writes one document per file with services, and only with the option", () => {
    expect(Object.keys(run.files).filter((path) => path.endsWith(".json"))).toEqual([documentPath]);
    expect(Object.keys(plain.files).filter((path) => path.endsWith(".json"))).toEqual([]);
    expect(badValue.error).toContain('option openapi must be true or false, got "yes"');
    expect(jsOnly.error).toContain("option openapi=true needs the target ts (such as target=ts or target=ts+js), got target=js");
  });

  test("the document is valid OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(document["openapi"]).toBe("3.1.0");
    expect(at(document, "info")).toEqual({ title: "lib.v1.Library", version: "0.0.0" });
  });

  test("every $ref resolves, and every schema compiles as JSON Schema 2020-12 in strict mode", () => {
    const refs = new Set<string>();
    const collect = (value: unknown) => {
      if (Array.isArray(value)) {
        value.forEach(collect);
      } else if (typeof value === "object" && value !== null) {
        for (const [key, child] of Object.entries(value)) {
          if (key === "$ref" && typeof child === "string") {
            refs.add(child);
          } else {
            collect(child);
          }
        }
      }
    };
    collect(document);
    const schemas = at(document, "components", "schemas") as JsonObject;
    const unresolved = [...refs].filter((target) => !target.startsWith("#/components/schemas/") || !(target.slice("#/components/schemas/".length) in schemas));
    expect(unresolved).toEqual([]);
    // Every schema is referred to: nothing unused is collected.
    expect(Object.keys(schemas).map((name) => `#/components/schemas/${name}`).filter((name) => !refs.has(name))).toEqual([]);
    expect(Object.keys(schemas)).toEqual([...Object.keys(schemas)].sort());
    const compile = schemaValidator(document);
    for (const name of Object.keys(schemas)) {
      expect(() => compile(name)).not.toThrow();
    }
  });

  test("one path item per REST binding and per Connect route, operations tagged by service", () => {
    expect(Object.keys(at(document, "paths"))).toEqual([
      "/lib.v1.Library/CreateBook",
      "/lib.v1.Library/Echo",
      "/lib.v1.Library/GetBook",
      "/lib.v1.Library/ListBooks",
      "/lib.v1.Library/MoveBook",
      "/lib.v1.Library/Search",
      "/v1/books",
      "/v1/search",
      "/v1/{name}",
      "/v1/{name}:move",
      "/v1/{parent}/books",
    ]);
    expect(at(document, "paths", "/v1/{name}", "get", "operationId")).toBe("Library_GetBook");
    expect(at(document, "paths", "/v1/{parent}/books", "get", "operationId")).toBe("Library_ListBooks");
    expect(at(document, "paths", "/v1/books", "get", "operationId")).toBe("Library_ListBooks2");
    expect(at(document, "paths", "/v1/{parent}/books", "post", "operationId")).toBe("Library_CreateBook");
    expect(at(document, "paths", "/lib.v1.Library/Echo", "post", "operationId")).toBe("Library_Echo_Connect");
    expect(Object.keys(at(document, "paths", "/lib.v1.Library/Echo"))).toEqual(["post"]);
    // A method without side effects is also served by Connect's GET.
    expect(Object.keys(at(document, "paths", "/lib.v1.Library/GetBook"))).toEqual(["get", "post"]);
    expect(at(document, "paths", "/lib.v1.Library/GetBook", "get", "operationId")).toBe("Library_GetBook_ConnectGet");
    expect(parameterNames("/lib.v1.Library/GetBook", "get")).toEqual(["query:message", "query:encoding", "query:base64", "query:compression", "query:connect"]);
    expect(at(parameter("/lib.v1.Library/GetBook", "get", "message"), "content")).toEqual({ "application/json": { schema: { $ref: "#/components/schemas/lib.v1.GetBookRequest" } } });
    expect(at(document, "paths", "/v1/{name}:move", "post", "tags")).toEqual(["lib.v1.Library"]);
    expect(at(document, "tags")).toEqual([{ name: "lib.v1.Library", description: "Books on shelves." }]);
  });

  test("path parameters are typed from their fields, with the segments a variable takes", () => {
    expect(parameter("/v1/{name}", "get", "name")).toEqual({
      name: "name",
      in: "path",
      required: true,
      schema: { type: "string", pattern: "^shelves/[^/]+/books/[^/]+$" },
    });
    expect(parameterNames("/v1/{parent}/books", "get")).toEqual(["path:parent", "query:pageSize"]);
    expect(at(parameter("/v1/{parent}/books", "get", "pageSize"), "schema")).toEqual({ type: "integer", format: "int32", minimum: -2147483648, maximum: 2147483647 });
    expect(parameterNames("/v1/books", "get")).toEqual(["query:parent", "query:pageSize"]);
  });

  test("query parameters: every text leaf neither the path nor the body binds, nested ones dotted, repeated ones exploded", () => {
    // Filter.and_also is a Filter again: a message is walked once per path. Maps, repeated
    // messages and Struct have no query form.
    expect(parameterNames("/v1/search", "get")).toEqual([
      "query:query",
      "query:tags",
      "query:genre",
      "query:filter.minPages",
      "query:filter.available",
      "query:publishedAfter",
      "query:limit",
      "query:big",
      "query:ids",
    ]);
    expect(parameter("/v1/search", "get", "tags")).toEqual({ name: "tags", in: "query", schema: { type: "array", items: { type: "string" } }, style: "form", explode: true });
    expect(at(parameter("/v1/search", "get", "ids"), "schema")).toEqual({ type: "array", items: { type: "string", format: "int64", pattern: "^-?[0-9]+$" } });
    expect(at(parameter("/v1/search", "get", "genre"), "schema")).toEqual(ref("lib.v1.Genre"));
    expect(at(parameter("/v1/search", "get", "publishedAfter"), "schema")).toEqual(ref("google.protobuf.Timestamp"));
    // A wrapper in a URL is its plain scalar.
    expect(at(parameter("/v1/search", "get", "limit"), "schema")).toEqual({ type: "integer", format: "int32", minimum: -2147483648, maximum: 2147483647 });
    // The body field's fields and the path's are not query parameters; with body "*" there are none.
    expect(parameterNames("/v1/{parent}/books", "post")).toEqual(["path:parent", "query:bookId"]);
    expect(at(parameter("/v1/{parent}/books", "post", "bookId"), "description")).toBe("An id of the caller's choosing.");
    expect(parameterNames("/v1/{name}:move", "post")).toEqual(["path:name"]);
  });

  test("request bodies: the whole request for body *, the field's schema for a body field", () => {
    expect(at(document, "paths", "/v1/{name}:move", "post", "requestBody")).toEqual({ content: { "application/json": { schema: ref("lib.v1.MoveBookRequest") } } });
    expect(at(document, "paths", "/v1/{parent}/books", "post", "requestBody", "content", "application/json", "schema")).toEqual(ref("lib.v1.Book"));
    expect(() => at(document, "paths", "/v1/search", "get", "requestBody")).toThrow();
    expect(at(document, "paths", "/lib.v1.Library/Search", "post", "requestBody")).toEqual({ required: true, content: { "application/json": { schema: ref("lib.v1.SearchRequest") } } });
  });

  test("responses: the response message or its response_body field, and the error bodies of each protocol", () => {
    const getBook = at(document, "paths", "/v1/{name}", "get");
    expect(at(getBook, "description")).toBe("Gets one book by its resource name.");
    expect(at(getBook, "responses", "200", "content", "application/json", "schema")).toEqual(ref("lib.v1.Book"));
    expect(at(getBook, "responses", "default", "content", "application/json", "schema")).toEqual(ref("google.rpc.Status"));
    expect(at(document, "paths", "/v1/search", "get", "responses", "200", "content", "application/json", "schema")).toEqual({ type: "array", items: ref("lib.v1.Book") });
    expect(at(document, "paths", "/lib.v1.Library/Search", "post", "responses", "200", "content", "application/json", "schema")).toEqual(ref("lib.v1.SearchResponse"));
    expect(at(document, "paths", "/lib.v1.Library/Search", "post", "responses", "default", "content", "application/json", "schema")).toEqual(ref("connect.Error"));
    expect(at(document, "components", "schemas", "google.rpc.Status", "properties", "code")).toMatchObject({ type: "integer" });
    expect(at(document, "components", "schemas", "connect.Error", "properties", "code", "enum")).toContain("invalid_argument");
  });

  test("schemas follow the proto3 JSON mapping", () => {
    const book = at(document, "components", "schemas", "lib.v1.Book");
    const property = (name: string) => at(book, "properties", name);
    expect(at(book, "description")).toBe("A book.");
    expect(property("isbn")).toEqual({ type: "string", format: "int64", pattern: "^-?[0-9]+$" });
    expect(property("copies")).toEqual({ type: "string", format: "uint64", pattern: "^[0-9]+$" });
    expect(property("rating")).toEqual({ oneOf: [{ type: "number", format: "double" }, { type: "string", enum: ["NaN", "Infinity", "-Infinity"] }] });
    expect(property("cover")).toEqual({ type: "string", format: "byte", contentEncoding: "base64" });
    expect(property("genre")).toEqual(ref("lib.v1.Genre"));
    expect(property("genres")).toEqual({ type: "array", items: ref("lib.v1.Genre") });
    expect(property("counts")).toEqual({ type: "object", additionalProperties: { type: "integer", format: "int32", minimum: -2147483648, maximum: 2147483647 } });
    expect(property("notes")).toEqual({ type: "object", propertyNames: { pattern: "^-?[0-9]+$" }, additionalProperties: { type: "string" } });
    expect(property("loanPeriod")).toEqual(ref("google.protobuf.Duration"));
    expect(property("sequel")).toEqual(ref("lib.v1.Book"));
    expect(property("url")).toEqual({ type: "string", description: "At most one of `url`, `shelf` is set (oneof `source`)." });
    expect(at(book, "not")).toEqual({ anyOf: [{ required: ["url", "shelf"] }] });
    const schemas = at(document, "components", "schemas");
    expect(at(schemas, "lib.v1.Genre")).toEqual({ type: "string", enum: ["GENRE_UNSPECIFIED", "GENRE_FICTION", "GENRE_HISTORY"], description: "Kinds of books.\n\n- `GENRE_FICTION`: Made up." });
    expect(at(schemas, "lib.v1.Shelf", "properties", "name", "description")).toBe("The shelf's resource name.");
    expect(at(schemas, "google.protobuf.Timestamp")).toEqual({ type: "string", format: "date-time" });
    expect(at(schemas, "google.protobuf.Int32Value")).toMatchObject({ type: ["integer", "null"], format: "int32" });
    expect(at(schemas, "google.protobuf.Struct")).toEqual({ type: "object" });
    expect(at(schemas, "google.protobuf.Value")).toEqual({});
    expect(at(schemas, "google.protobuf.FieldMask")).toEqual({ type: "string" });
    expect(at(schemas, "google.protobuf.Any")).toEqual({ type: "object", properties: { "@type": { type: "string" } }, required: ["@type"] });
  });

  test("the JSON the gateway writes passes the schemas", () => {
    const bookSchema = registry.getMessage("lib.v1.Book") as DescMessage;
    const shelfSchema = registry.getMessage("lib.v1.Shelf") as DescMessage;
    const book = create(bookSchema, {
      name: "shelves/1/books/2",
      title: "Dune",
      genre: 1,
      pages: 412,
      isbn: protoInt64.parse("9780441172719"),
      copies: protoInt64.uParse("18446744073709551615"),
      rating: Number.NaN,
      weight: 0.5,
      cover: new Uint8Array([1, 2, 254]),
      tags: ["sf", "classic"],
      counts: { read: 3 },
      notes: { "-7": "odd" },
      published: timestampFromDate(new Date("1965-08-01T00:00:00.123Z")),
      loanPeriod: { seconds: protoInt64.parse(86400), nanos: 500_000_000 },
      edition: 2,
      extra: { fields: { a: { kind: { case: "numberValue", value: 1 } } } },
      anything: { kind: { case: "listValue", value: { values: [{ kind: { case: "stringValue", value: "x" } }] } } },
      mask: { paths: ["title", "loan_period"] },
      attachment: anyPack(shelfSchema, create(shelfSchema, { name: "shelves/1" })),
      source: { case: "shelf", value: create(shelfSchema, { name: "shelves/1" }) },
      sequel: create(bookSchema, { title: "Dune Messiah" }),
      genres: [2],
    } as never);
    const validate = schemaValidator(document);
    const bookValidator = validate("lib.v1.Book");
    const full = toJson(bookSchema, book, { alwaysEmitImplicit: true, registry });
    expect(bookValidator(full) ? [] : bookValidator.errors).toEqual([]);
    // And the empty message, as the gateway writes it with every field present.
    const empty = toJson(bookSchema, create(bookSchema), { alwaysEmitImplicit: true });
    expect(bookValidator(empty) ? [] : bookValidator.errors).toEqual([]);
    // Two members of a oneof, which a reply never has, do not pass.
    expect(bookValidator({ url: "https://example.com", shelf: { name: "x" } })).toBe(false);
    expect(bookValidator({ isbn: 12 })).toBe(false);
  });

  test("proto names instead of JSON names, when asked", () => {
    const service = registry.getService("lib.v1.Library");
    expect(service).toBeDefined();
    const protoNamed = openApiDocument([service!], { jsonNames: "proto", title: "Library", version: "1.2.3" });
    expect(protoNamed.info).toEqual({ title: "Library", version: "1.2.3" });
    expect(Object.keys(at(protoNamed, "components", "schemas", "lib.v1.Book", "properties"))).toContain("loan_period");
    expect((at(protoNamed, "paths", "/v1/search", "get", "parameters") as JsonObject[]).map((parameter) => parameter["name"])).toContain("filter.min_pages");
    // Without a description function, no descriptions from the protos.
    expect(JSON.stringify(protoNamed)).not.toContain("Books on shelves.");
    // The same input, the same output.
    expect(JSON.stringify(openApiDocument([service!], { jsonNames: "proto", title: "Library", version: "1.2.3" }))).toBe(JSON.stringify(protoNamed));
  });
});

describe("bad google.api.http rules", () => {
  test("fail generation with a message naming the file, the method and the rule", () => {
    expect(bad.error).toContain("invalid google.api.http rules:");
    expect(bad.error).toContain('bad/v1/bad.proto: bad.v1.Bad.Repeated: google.api.http rule "GET /v1/{tags}": the path variable "tags" names a repeated field');
    expect(bad.error).toContain('bad/v1/bad.proto: bad.v1.Bad.GetWithBody: google.api.http rule "GET /v1/things": a GET binding must not have a body');
    expect(bad.error).toContain('bad/v1/bad.proto: bad.v1.Bad.UnknownBody: google.api.http rule "POST /v1/things": body "nope" names no field of bad.v1.Request');
    expect(bad.error).toContain('bad/v1/bad.proto: bad.v1.Bad.WatchRepeated: google.api.http rule "GET /v1/watch/{tags}": the path variable "tags" names a repeated field');
    expect(bad.files).toEqual({});
  });
});
