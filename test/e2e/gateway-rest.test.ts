// The HTTP gateway on a real nats-server with a real host: every google.api.http mapping form of
// library.proto over real HTTP (path templates, query parameters, body mappings, response_body,
// custom verbs, additional bindings), the Connect protocol's unary form, and what the gateway
// answers to bad input.
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { create, toBinary, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, HeaderName, RpcError, type HandlerContext } from "nats-micro-runtime";
import { serveGateway, type Gateway } from "nats-micro-runtime/gateway";
import { createValidationInterceptor } from "nats-micro-runtime/validation";
import { BookSchema, EchoRequestSchema, Genre } from "../gen/testing/gateway/v1/library_pb.js";
import { Library } from "../gen/testing/gateway/v1/library_pb.js";
import { serveLibrary, type LibraryHandlers } from "../gen/testing/gateway/v1/library_nats.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";

const fixture = useNatsFixture();
let gateway: Gateway;
const seen: { headers?: Headers } = {};

function book(name: string, title = "A title"): MessageInitShape<typeof BookSchema> {
  return { name, title, genre: Genre.FICTION, pages: 120, available: true, isbn: 9_780_000_000_000n };
}

const handlers: LibraryHandlers = {
  getBook(request, context: HandlerContext) {
    seen.headers = context.requestHeader;
    if (request.name.endsWith("/missing")) {
      throw new RpcError(`no book ${request.name}`, Code.NotFound);
    }
    return book(request.name);
  },
  listBooks(request) {
    return { books: [book(`${request.parent || "shelves/all"}/books/${request.pageSize}`)] };
  },
  createBook(request, context) {
    context.responseHeader.set(HeaderName.HttpStatus, "201");
    context.responseHeader.set("x-created-by", "library");
    return create(BookSchema, { ...request.book, $typeName: undefined, name: `${request.parent}/books/${request.bookId}` } as MessageInitShape<typeof BookSchema>);
  },
  updateBook(request) {
    return request.book ?? {};
  },
  deleteBook() {
    return {};
  },
  moveBook(request) {
    return book(`shelves/${request.toShelf}/books/${request.name.split("/").at(-1) ?? ""}`);
  },
  search(request) {
    const summary = [
      request.query,
      request.tags.join("+"),
      Genre[request.genre],
      request.filter?.minPages ?? "-",
      request.filter?.available ?? "-",
      request.publishedAfter === undefined ? "-" : timestampDate(request.publishedAfter).toISOString(),
      request.limit ?? "-",
      request.big.toString(),
      request.genres.map((genre) => Genre[genre]).join("+"),
    ].join("|");
    return { results: [{ title: summary }], total: 1 };
  },
  readFile(request) {
    return { path: request.path, content: "x".repeat(request.path.endsWith(".big") ? 20_000 : 3) };
  },
  async echo(request, context) {
    if (request.text === "slow") {
      // Past any deadline the tests set; the host's abort at the deadline ends the wait.
      await sleep(1_500, undefined, { signal: context.signal }).catch(() => undefined);
    }
    if (request.text === "fail") {
      throw new RpcError("echo refused", Code.FailedPrecondition);
    }
    seen.headers = context.requestHeader;
    return request;
  },
};

beforeAll(async () => {
  fixture.hosts.length = 0;
  const host = await serveLibrary(fixture.nc, handlers, { interceptors: [createValidationInterceptor()] });
  gateway = await serveGateway(fixture.nc, [Library], { port: 0, maxBodyBytes: 64 * 1024 });
  afterAllCleanup.push(() => gateway.close(), () => host.stop());
});
const afterAllCleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of afterAllCleanup) {
    await cleanup();
  }
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const response = await fetch(gateway.url + path, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

const jsonBody = (value: unknown): RequestInit => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(value) });

describe("REST mapping", () => {
  test("GET with a multi-segment path variable, every field present in the reply", async () => {
    const reply = await call("/v1/shelves/s1/books/b1");
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toBe("application/json");
    expect(reply.json).toEqual({ name: "shelves/s1/books/b1", title: "A title", genre: "GENRE_FICTION", pages: 120, available: true, isbn: "9780000000000" });
  });

  test("path values are percent-decoded", async () => {
    const reply = await call("/v1/shelves/a%20shelf/books/caf%C3%A9");
    expect(reply.json.name).toBe("shelves/a shelf/books/café");
  });

  test("query parameters by JSON or proto name, and an additional binding", async () => {
    expect((await call("/v1/shelves/s1/books?pageSize=3")).json.books[0].name).toBe("shelves/s1/books/3");
    expect((await call("/v1/shelves/s1/books?page_size=4")).json.books[0].name).toBe("shelves/s1/books/4");
    expect((await call("/v1/books?pageSize=5")).json.books[0].name).toBe("shelves/all/books/5");
  });

  test("body field plus path and query, and the handler's status and headers", async () => {
    const reply = await call("/v1/shelves/s1/books?bookId=b9", { ...jsonBody({ title: "Dune", pages: 412 }) });
    expect(reply.status).toBe(201);
    expect(reply.headers.get("x-created-by")).toBe("library");
    expect(reply.headers.get("nats-http-status")).toBeNull();
    expect(reply.json).toMatchObject({ name: "shelves/s1/books/b9", title: "Dune", pages: 412 });
  });

  test("PATCH sets a nested field from the path over the body's", async () => {
    const reply = await call("/v1/shelves/s1/books/b1", { method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "ignored", title: "New" }) });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ name: "shelves/s1/books/b1", title: "New" });
  });

  test("DELETE answers the empty message", async () => {
    const reply = await call("/v1/shelves/s1/books/b1", { method: "DELETE" });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({});
  });

  test("a custom verb with the whole message as the body", async () => {
    const reply = await call("/v1/shelves/s1/books/b1:move", jsonBody({ to_shelf: "s2" }));
    expect(reply.json.name).toBe("shelves/s2/books/b1");
  });

  test("query parameters of every kind, and response_body", async () => {
    const query = [
      "query=dune%20messiah",
      "tags=a",
      "tags=b",
      "genre=GENRE_HISTORY",
      "filter.minPages=10",
      "filter.available=true",
      "publishedAfter=2024-01-02T03:04:05Z",
      "limit=5",
      "big=9007199254740993",
      "genres=1",
      "genres=GENRE_HISTORY",
    ].join("&");
    const reply = await call(`/v1/search?${query}`);
    expect(reply.status).toBe(200);
    // The body is the results list alone.
    expect(Array.isArray(reply.json)).toBe(true);
    expect(reply.json[0].title).toBe("dune messiah|a+b|HISTORY|10|true|2024-01-02T03:04:05.000Z|5|9007199254740993|FICTION+HISTORY");
  });

  test("a ** variable takes the rest of the path", async () => {
    const reply = await call("/v1/files/docs/2024/report.txt");
    expect(reply.json).toEqual({ path: "docs/2024/report.txt", content: "xxx" });
  });

  test("HEAD is answered by a GET route, without a body", async () => {
    const response = await fetch(`${gateway.url}/v1/shelves/s1/books/b1`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  test("large replies are compressed when the client accepts it", async () => {
    const response = await fetch(`${gateway.url}/v1/files/a.big`, { headers: { "Accept-Encoding": "br" } });
    expect(response.headers.get("content-encoding")).toBe("br");
    // fetch decompresses: the content arrives whole.
    expect(((await response.json()) as { content: string }).content).toHaveLength(20_000);
    const small = await fetch(`${gateway.url}/v1/files/a.txt`, { headers: { "Accept-Encoding": "br, gzip" } });
    expect(small.headers.get("content-encoding")).toBeNull();
  });
});

describe("bad requests", () => {
  test("an unknown route is 404 with a google.rpc.Status body", async () => {
    const reply = await call("/v2/nothing");
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({ code: 5, message: "no route for GET /v2/nothing", details: [] });
  });

  test("a wrong method is 405 with Allow", async () => {
    const reply = await call("/v1/search", { method: "DELETE" });
    expect(reply.status).toBe(405);
    expect(reply.headers.get("allow")).toBe("GET, HEAD");
  });

  test.each([
    ["an unknown query parameter", "/v1/search?colour=red", /unknown query parameter "colour"/],
    ["a repeated parameter for a singular field", "/v1/search?query=a&query=b", /given 2 times/],
    ["a value of the wrong type", "/v1/search?limit=many", /Int32Value|limit/],
    ["an unknown enum name", "/v1/search?genre=GENRE_POETRY", /GENRE_POETRY/],
    ["a bad boolean", "/v1/search?filter.available=maybe", /not a boolean/],
    ["a query parameter when the body takes every field", "/v1/shelves/s1/books/b1:move?x=1", /unknown query parameter "x"/],
  ])("%s is 400", async (_name, path, message) => {
    const reply = await call(path, path.includes(":move") ? jsonBody({}) : {});
    expect(reply.status).toBe(400);
    expect(reply.json.code).toBe(3);
    expect(reply.json.message).toMatch(message);
  });

  test("malformed JSON, an unknown field, a body that is not an object: 400", async () => {
    for (const body of ["{", '{"toShelf": "a", "colour": "red"}', "[1]", '{"toShelf": 5}']) {
      const reply = await call("/v1/shelves/s1/books/b1:move", { method: "POST", body });
      expect(reply.status).toBe(400);
      expect(reply.json.code).toBe(3);
    }
  });

  test("a broken validation rule is 400 with the violations in details", async () => {
    const reply = await call("/v1/shelves/s1/books?bookId=b1", jsonBody({ title: "" }));
    expect(reply.status).toBe(400);
    expect(reply.json.details).toEqual([
      { "@type": "type.googleapis.com/buf.validate.Violations", violations: [expect.objectContaining({ ruleId: "string.min_len" })] },
    ]);
  });

  test("a handler's error code becomes the HTTP status", async () => {
    const reply = await call("/v1/shelves/s1/books/missing");
    expect(reply.status).toBe(404);
    expect(reply.json).toMatchObject({ code: 5, message: "no book shelves/s1/books/missing" });
  });

  test("a body over the limit is 413 before any call", async () => {
    const reply = await call("/v1/shelves/s1/books/b1:move", jsonBody({ toShelf: "x".repeat(70_000) }));
    expect(reply.status).toBe(413);
  });

  test("a gzip body is decompressed; one that decompresses past the limit is 413", async () => {
    const body = gzipSync(JSON.stringify({ toShelf: "zipped" }));
    const reply = await call("/v1/shelves/s1/books/b1:move", { method: "POST", headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" }, body });
    expect(reply.json.name).toBe("shelves/zipped/books/b1");
    // 1 MB of spaces, a few hundred bytes compressed.
    const bomb = gzipSync(`{"toShelf": "a"${" ".repeat(1_000_000)}}`);
    const refused = await call("/v1/shelves/s1/books/b1:move", { method: "POST", headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" }, body: bomb });
    expect(refused.status).toBe(413);
    const unknown = await call("/v1/shelves/s1/books/b1:move", { method: "POST", headers: { "Content-Encoding": "zstd-ish" }, body: "{}" });
    expect(unknown.status).toBe(501);
  });

  test("malformed timeout headers are 400", async () => {
    for (const [name, value] of [
      ["Grpc-Timeout", "soon"],
      ["Connect-Timeout-Ms", "-1"],
      ["X-Server-Timeout", "x"],
    ] as const) {
      const reply = await call("/v1/shelves/s1/books/b1", { headers: { [name]: value } });
      expect(reply.status).toBe(400);
    }
  });

  test("the host keeps serving after all of it", async () => {
    expect((await call("/v1/shelves/s1/books/b1")).status).toBe(200);
  });
});

describe("Connect protocol", () => {
  const path = "/testing.gateway.v1.Library/Echo";

  test("POST in JSON and in binary", async () => {
    const json = await call(path, jsonBody({ text: "hi", number: "7" }));
    expect(json.status).toBe(200);
    expect(json.json).toEqual({ text: "hi", number: "7" });
    const response = await fetch(gateway.url + path, {
      method: "POST",
      headers: { "Content-Type": "application/proto" },
      body: toBinary(EchoRequestSchema, create(EchoRequestSchema, { text: "bin", number: 9n })),
    });
    expect(response.headers.get("content-type")).toBe("application/proto");
    expect(fromBinary(EchoRequestSchema, new Uint8Array(await response.arrayBuffer()))).toMatchObject({ text: "bin", number: 9n });
  });

  test("GET of a method without side effects", async () => {
    const message = encodeURIComponent(JSON.stringify({ text: "get" }));
    const reply = await call(`${path}?encoding=json&message=${message}`);
    expect(reply.json).toEqual({ text: "get" });
    const base64 = Buffer.from(toBinary(EchoRequestSchema, create(EchoRequestSchema, { text: "b64" }))).toString("base64url");
    const binary = await fetch(`${gateway.url}${path}?encoding=proto&base64=1&message=${base64}`);
    expect(fromBinary(EchoRequestSchema, new Uint8Array(await binary.arrayBuffer())).text).toBe("b64");
  });

  test("errors in the Connect form", async () => {
    const reply = await call(path, jsonBody({ text: "fail" }));
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ code: "failed_precondition", message: "echo refused", details: [] });
  });

  test("an unsupported media type is 415", async () => {
    const reply = await call(path, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "hi" });
    expect(reply.status).toBe(415);
  });

  test("methods with REST bindings are reachable too", async () => {
    const reply = await call("/testing.gateway.v1.Library/GetBook", jsonBody({ name: "shelves/c/books/d" }));
    expect(reply.json.name).toBe("shelves/c/books/d");
  });
});

describe("headers and deadlines", () => {
  test("allowed request headers reach the handler, others do not; a request id is made", async () => {
    const reply = await call("/v1/shelves/s1/books/b1", {
      headers: { Authorization: "Bearer t", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "X-Secret": "no" },
    });
    const requestId = reply.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers?.get("authorization")).toBe("Bearer t");
    expect(seen.headers?.get("traceparent")).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    expect(seen.headers?.get("x-request-id")).toBe(requestId);
    expect(seen.headers?.get("x-forwarded-for")).toBe("127.0.0.1");
    expect(seen.headers?.get("x-secret")).toBeNull();
    const given = await call("/v1/shelves/s1/books/b1", { headers: { "X-Request-Id": "mine" } });
    expect(given.headers.get("x-request-id")).toBe("mine");
  });

  test.each([
    ["Grpc-Timeout", "100m"],
    ["Connect-Timeout-Ms", "100"],
    ["X-Server-Timeout", "0.1"],
  ])("%s becomes the call's deadline", async (name, value) => {
    const started = performance.now();
    const reply = await call("/testing.gateway.v1.Library/Echo", { ...jsonBody({ text: "slow" }), headers: { "Content-Type": "application/json", [name]: value } });
    expect(reply.status).toBe(504);
    expect(reply.json.code).toBe("deadline_exceeded");
    // Answered at the deadline, not when the handler would have finished.
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
