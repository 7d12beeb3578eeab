// The HTTP gateway as a server, on a real nats-server: a Connect-ES client calling it, CORS,
// /healthz and /readyz, the concurrency limit, draining, per-route metrics, an application's error
// renderer, and what it answers when no service instance is left.
import { createClient as createConnectClient, ConnectError, Code as ConnectCode } from "@connectrpc/connect";
import { connect as connectSocket } from "node:net";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Code, RpcError, type ServiceHost } from "nats-micro-runtime";
import { serveGateway, type Gateway, type GatewayOptions } from "nats-micro-runtime/gateway";
import { createGatewayMetrics, createRpcMetrics } from "nats-micro-runtime/metrics";
import { Library } from "../gen/testing/gateway/v1/library_pb.js";
import { serveLibrary, type LibraryHandlers } from "../gen/testing/gateway/v1/library_nats.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";

const fixture = useNatsFixture();
const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

// Echo waits for `release` when asked to ("hold"), so that tests can keep requests in flight.
let release: () => void = () => {};
let holding = 0;
let held = Promise.resolve();
function holdEchoes(): void {
  held = new Promise((resolve) => (release = resolve));
}

const handlers = {
  getBook(request) {
    return { name: request.name, title: "T" };
  },
  async echo(request) {
    if (request.text === "hold") {
      holding += 1;
      await held;
      holding -= 1;
    }
    if (request.text === "refuse") {
      throw new RpcError("refused", Code.PermissionDenied);
    }
    return request;
  },
} satisfies Partial<LibraryHandlers>;

async function start(options: GatewayOptions = {}): Promise<{ gateway: Gateway; host: ServiceHost }> {
  const host = await serveLibrary(fixture.nc, handlers, { methods: ["GetBook", "Echo"] });
  fixture.hosts.push(host);
  const gateway = await serveGateway(fixture.nc, [Library], { port: 0, ...options });
  gateways.push(gateway);
  return { gateway, host };
}

const echo = (gateway: Gateway, text: string, headers: Record<string, string> = {}) =>
  fetch(`${gateway.url}/testing.gateway.v1.Library/Echo`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify({ text }) });

test("a Connect-ES client calls the gateway, in JSON and in binary, and gets typed errors", async () => {
  const { gateway } = await start();
  for (const useBinaryFormat of [false, true]) {
    const client = createConnectClient(Library, createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1", useBinaryFormat }));
    expect((await client.echo({ text: "hi", number: 5n })).number).toBe(5n);
    expect((await client.getBook({ name: "shelves/a/books/b" })).title).toBe("T");
    const failure = await client.echo({ text: "refuse" }).catch((reason: unknown) => reason);
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(ConnectCode.PermissionDenied);
    expect((failure as ConnectError).rawMessage).toBe("refused");
  }
});

describe("CORS", () => {
  test("a preflight from an allowed origin is answered; others are refused", async () => {
    const { gateway } = await start({ cors: { origins: ["https://app.example.com"] } });
    const preflight = (origin: string, method = "POST") =>
      fetch(`${gateway.url}/v1/shelves/a/books/b`, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": method } });
    const allowed = await fetch(`${gateway.url}/v1/shelves/a/books/b`, {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-methods")).toBe("GET");
    expect(allowed.headers.get("access-control-allow-headers")).toBe("authorization");
    expect((await preflight("https://evil.example.com", "GET")).status).toBe(403);
    // The path takes GET, HEAD and DELETE only.
    expect((await preflight("https://app.example.com", "PUT")).status).toBe(403);
    const actual = await fetch(`${gateway.url}/v1/shelves/a/books/b`, { headers: { Origin: "https://app.example.com" } });
    expect(actual.status).toBe(200);
    expect(actual.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const refused = await fetch(`${gateway.url}/v1/shelves/a/books/b`, { headers: { Origin: "https://evil.example.com" } });
    expect(refused.status).toBe(403);
  });

  test("without CORS options, cross-origin requests are refused", async () => {
    const { gateway } = await start();
    const response = await fetch(`${gateway.url}/v1/shelves/a/books/b`, { headers: { Origin: "https://app.example.com" } });
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

test("/healthz is up while the process is; /readyz needs every service to answer", async () => {
  const { gateway, host } = await start();
  expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
  await host.stop();
  const notReady = await fetch(`${gateway.url}/readyz`);
  expect(notReady.status).toBe(503);
  expect(await notReady.text()).toContain("Library");
  expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  // A call with no instance left is 503, and the gateway keeps serving.
  const call = await echo(gateway, "anyone?");
  expect(call.status).toBe(503);
  expect(((await call.json()) as { code: string }).code).toBe("unavailable");
  expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
});

test("requests over the concurrency limit get 503 and Retry-After at once", async () => {
  const { gateway } = await start({ maxConcurrentRequests: 2 });
  holdEchoes();
  const first = [echo(gateway, "hold"), echo(gateway, "hold")];
  // Bounded wait until both are in the host's hands.
  for (let attempt = 0; attempt < 100; attempt++) {
    const over = await echo(gateway, "third");
    if (over.status === 503) {
      expect(over.headers.get("retry-after")).toBe("1");
      break;
    }
    if (attempt === 99) {
      throw new Error("the limit never applied");
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  release();
  expect((await Promise.all(first)).map((response) => response.status)).toEqual([200, 200]);
  expect((await echo(gateway, "after")).status).toBe(200);
});

test("close() answers requests in flight and refuses new ones", async () => {
  const { gateway } = await start();
  gateways.splice(gateways.indexOf(gateway), 1);
  holdEchoes();
  const inFlight = echo(gateway, "hold");
  // Until the request is in the handler's hands: it is then in flight at the gateway too.
  for (let attempt = 0; attempt < 200 && holding === 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(holding).toBe(1);
  const closed = gateway.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  release();
  const response = await inFlight;
  expect(response.status).toBe(200);
  expect(((await response.json()) as { text: string }).text).toBe("hold");
  await closed;
  await expect(fetch(`${gateway.url}/healthz`)).rejects.toThrow();
});

test("per-route metrics count requests by status", async () => {
  const metrics = createRpcMetrics();
  const { gateway } = await start({ metrics, httpMetrics: createGatewayMetrics({ registry: metrics.registry }) });
  await fetch(`${gateway.url}/v1/shelves/a/books/b`);
  await fetch(`${gateway.url}/v1/shelves/a/books/b`);
  await fetch(`${gateway.url}/nowhere`);
  await echo(gateway, "refuse");
  const text = await metrics.registry.metrics();
  expect(text).toContain('nats_gateway_requests_total{route="GET /v1/{name=shelves/*/books/*}",method="GET",status="200"} 2');
  expect(text).toContain('nats_gateway_requests_total{route="unmatched",method="GET",status="404"} 1');
  expect(text).toContain('nats_gateway_requests_total{route="POST /testing.gateway.v1.Library/Echo",method="POST",status="403"} 1');
  expect(text).toContain('nats_gateway_request_duration_seconds_count{route="GET /v1/{name=shelves/*/books/*}",method="GET"} 2');
  // The calls the gateway made, on the client's side.
  expect(text).toContain('nats_rpc_client_requests_total{service="Library",method="GetBook",code="ok"} 2');
});

test("an application's renderer shapes REST errors; Connect errors keep the protocol's form", async () => {
  const { gateway } = await start({
    renderError: (error, context) => ({ status: error.code === Code.NotFound ? 404 : 422, body: JSON.stringify({ problem: error.rawMessage, method: context.method?.name ?? null, body: context.body }) }),
  });
  const missing = await fetch(`${gateway.url}/nowhere`);
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({ problem: "no route for GET /nowhere", method: null, body: "" });
  // The renderer sees the body that could not be decoded.
  const malformed = await fetch(`${gateway.url}/v1/shelves/a/books/b:move`, { method: "POST", body: '{"toShelf": 5' });
  expect(malformed.status).toBe(422);
  expect(await malformed.json()).toMatchObject({ method: "MoveBook", body: '{"toShelf": 5' });
  const bad = await fetch(`${gateway.url}/v1/shelves/a/books/b?colour=red`);
  expect(bad.status).toBe(422);
  expect(await bad.json()).toMatchObject({ method: "GetBook" });
  const connect = await echo(gateway, "refuse");
  expect(connect.status).toBe(403);
  expect(await connect.json()).toEqual({ code: "permission_denied", message: "refused", details: [] });
});

test("a malformed percent-encoding in a path variable is 400, and the gateway keeps serving", async () => {
  const { gateway } = await start();
  const response = await fetch(`${gateway.url}/v1/shelves/a%zz/books/b`);
  expect(response.status).toBe(400);
  expect((await fetch(`${gateway.url}/v1/shelves/a/books/b`)).status).toBe(200);
});

test("a client too slow to send its request gets 408, and others are served meanwhile", async () => {
  const { gateway } = await start({ requestTimeoutMs: 300 });
  const socket = connectSocket(gateway.port, "127.0.0.1");
  let received = "";
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  socket.write("POST /testing.gateway.v1.Library/Echo HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
  expect((await echo(gateway, "meanwhile")).status).toBe(200);
  await closed;
  expect(received).toMatch(/^HTTP\/1\.1 408 /);
});

test("/openapi.json serves the given document, else one made from the descriptors", async () => {
  const made = await start();
  const document = (await (await fetch(`${made.gateway.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
  expect(document.openapi).toBe("3.1.0");
  expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/v1/{name}", "/testing.gateway.v1.Library/Echo"]));
  const given = await serveGateway(fixture.nc, [Library], { port: 0, openApi: { openapi: "3.1.0", info: { title: "mine", version: "1" }, paths: {} } });
  gateways.push(given);
  expect(await (await fetch(`${given.url}/openapi.json`)).json()).toMatchObject({ info: { title: "mine" } });
});
