// Server-streaming methods through the HTTP gateway, on a real nats-server and real HTTP: replies
// as newline-delimited JSON and as Server-Sent Events, errors before and after the first reply,
// deadlines from the request's headers, a slow HTTP reader holding the host back through the
// stream's credit, a client that leaves canceling the handler, and close() ending endless streams at once.
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { Code, type StatsResponse } from "nats-micro-runtime";
import { httpBindings, serveGateway, type Gateway, type GatewayOptions } from "nats-micro-runtime/gateway";
import { serveStreams } from "../gen/testing/streams/v1/streams_nats.js";
import { Streams } from "../gen/testing/streams/v1/streams_pb.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";
import { waitUntil } from "../helpers/nats-cluster.js";
import { createStreamsHandlers, type StreamsState } from "../helpers/streams-handlers.js";

const nats = useNatsFixture({ hostConnections: 1 });
const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

let state: StreamsState;

async function start(options: GatewayOptions = {}) {
  state = createStreamsHandlers();
  const host = await serveStreams(nats.hostConnections[0]!, state.handlers);
  nats.hosts.push(host);
  const gateway = await serveGateway(nats.nc, [Streams], { port: 0, ...options });
  gateways.push(gateway);
  return { host, gateway };
}

const countPath = "/testing.streams.v1.Streams/Count";

function count(gateway: Gateway, request: Record<string, unknown>, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(gateway.url + countPath, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(request), ...(signal === undefined ? {} : { signal }) });
}

/** The NDJSON lines of a whole response, parsed. */
async function lines(response: Response): Promise<unknown[]> {
  const text = await response.text();
  expect(text === "" || text.endsWith("\n")).toBe(true);
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as unknown);
}

/** The events of a whole Server-Sent Events response: the event's name ("message" unless named) and its data, parsed. */
async function events(response: Response): Promise<{ event: string; data: unknown }[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block !== "")
    .map((block) => {
      let event = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) {
          event = line.slice("event: ".length);
        } else if (line.startsWith("data: ")) {
          data += line.slice("data: ".length);
        }
      }
      return { event, data: JSON.parse(data) as unknown };
    });
}

/** Reads a response's NDJSON lines as they come. */
function lineReader(response: Response): { next(): Promise<string | undefined> } {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return {
    async next() {
      for (;;) {
        const end = buffered.indexOf("\n");
        if (end !== -1) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 1);
          return line;
        }
        const chunk = await reader.read();
        if (chunk.done) {
          return undefined;
        }
        buffered += decoder.decode(chunk.value, { stream: true });
      }
    },
  };
}

const items = (length: number) => Array.from({ length }, (_, index) => ({ n: index + 1, payload: "" }));

function countStats(stats: StatsResponse) {
  const endpoint = stats.endpoints.find((candidate) => candidate.name === "Count")!;
  return (endpoint.data as { stream: { active: number; messages_out: number } }).stream;
}

test("the replies come as NDJSON, one object per line, in order, with the handler's headers", async () => {
  const { gateway } = await start();
  const response = await count(gateway, { count: 500 });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/x-ndjson");
  expect(response.headers.get("x-count")).toBe("500");
  expect(await lines(response)).toEqual(items(500));
});

test("each reply is sent as it comes, not when the stream ends", async () => {
  const { gateway } = await start();
  const started = performance.now();
  const reader = lineReader(await count(gateway, { count: 3, intervalMs: 400 }));
  expect(JSON.parse((await reader.next())!)).toEqual({ n: 1, payload: "" });
  // The whole stream takes 1.2 s; the first line comes after the first interval.
  expect(performance.now() - started).toBeLessThan(1_000);
  expect(await reader.next()).toBe(JSON.stringify({ n: 2, payload: "" }));
  expect(await reader.next()).toBe(JSON.stringify({ n: 3, payload: "" }));
  expect(await reader.next()).toBeUndefined();
});

test("a stream without replies is an empty 200", async () => {
  const { gateway } = await start();
  const response = await count(gateway, { count: 0 });
  expect(response.status).toBe(200);
  expect(await response.text()).toBe("");
});

test("Server-Sent Events when the request accepts text/event-stream", async () => {
  const { gateway } = await start();
  const response = await count(gateway, { count: 20 }, { Accept: "text/event-stream" });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  expect(response.headers.get("cache-control")).toBe("no-cache");
  expect(await events(response)).toEqual(items(20).map((item) => ({ event: "message", data: item })));
});

describe("an error after the first reply ends the stream after the replies before it", () => {
  const failure = { code: 9, message: "failed after 7 items", details: [] };

  test("NDJSON: a last line {error}", async () => {
    const { gateway } = await start();
    const response = await count(gateway, { count: 100, failAfter: 7, failCode: Code.FailedPrecondition });
    expect(response.status).toBe(200);
    expect(await lines(response)).toEqual([...items(7), { error: failure }]);
  });

  test("Server-Sent Events: an error event", async () => {
    const { gateway } = await start();
    const response = await count(gateway, { count: 100, failAfter: 7, failCode: Code.FailedPrecondition }, { Accept: "text/event-stream" });
    expect(await events(response)).toEqual([...items(7).map((item) => ({ event: "message", data: item })), { event: "error", data: failure }]);
  });

  test("a deadline from the request's headers runs out mid-stream", async () => {
    const { gateway } = await start();
    const aborted = state.nextAbort();
    const received = await lines(await count(gateway, { count: 1_000, intervalMs: 50 }, { "Grpc-Timeout": "400m" }));
    const last = received.pop() as { error: { code: number } };
    expect(last.error.code).toBe(4);
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(20);
    expect((await aborted).code).toBe(Code.DeadlineExceeded);
  });
});

describe("an error before the first reply is the status and JSON body of a unary call", () => {
  test("a request that cannot be read: 400", async () => {
    const { gateway } = await start();
    const response = await count(gateway, { count: 3, colour: "red" });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(((await response.json()) as { code: string }).code).toBe("invalid_argument");
  });

  test("a deadline that runs out before the first reply: 504", async () => {
    const { gateway } = await start();
    const response = await count(gateway, { count: 3, intervalMs: 5_000 }, { "Connect-Timeout-Ms": "200" });
    expect(response.status).toBe(504);
    expect(((await response.json()) as { code: string }).code).toBe("deadline_exceeded");
  });

  test("no host listening: 503", async () => {
    const gateway = await serveGateway(nats.nc, [Streams], { port: 0 });
    gateways.push(gateway);
    const response = await count(gateway, { count: 3 });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { code: string }).code).toBe("unavailable");
  });
});

test("a slow HTTP reader holds the host back: it sends what the connection took and the window, no more", async () => {
  const window = 8;
  const { host, gateway } = await start({ streamWindow: window });
  const payloadBytes = 32 * 1024;
  // A line is the payload in base64 and a little more.
  const lineBytes = Math.ceil(payloadBytes / 3) * 4 + 20;
  const sockets: Socket[] = [];
  gateway.server.on("connection", (socket: Socket) => sockets.push(socket));
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = httpRequest(gateway.url + countPath, { method: "POST", headers: { "Content-Type": "application/json" } }, resolve);
    request.on("error", reject);
    request.end(JSON.stringify({ count: 100_000, payloadBytes }));
  });
  expect(response.statusCode).toBe(200);
  let receivedBytes = 0;
  response.on("data", (chunk: Buffer) => (receivedBytes += chunk.length));
  await waitUntil("some replies to arrive", () => receivedBytes >= 5 * lineBytes, 5_000);
  response.pause();
  // Wait for the host to stop: what it sent no longer grows.
  let sent = -1;
  await waitUntil(
    "the host to stop sending",
    async () => {
      const before = countStats(host.stats()).messages_out;
      await new Promise((resolve) => setTimeout(resolve, 300));
      sent = countStats(host.stats()).messages_out;
      return sent === before;
    },
    15_000,
  );
  // Whatever the sockets between the gateway and the reader buffer (some MiB on loopback), the
  // host sends at most what the gateway wrote to its socket, the window, and the reply in hand.
  const written = Math.ceil(sockets.reduce((sum, socket) => sum + socket.bytesWritten, 0) / lineBytes);
  expect(written).toBeGreaterThanOrEqual(Math.floor(receivedBytes / lineBytes));
  expect(sent).toBeLessThanOrEqual(written + window + 1);
  expect(sent).toBeLessThan(1_000);
  const aborted = state.nextAbort();
  response.destroy();
  expect((await aborted).code).toBe(Code.Canceled);
  await waitUntil("the stream to end on the host", () => countStats(host.stats()).active === 0, 5_000);
});

test("a client that leaves mid-stream cancels the handler", async () => {
  const { host, gateway } = await start();
  const leaving = new AbortController();
  const aborted = state.nextAbort();
  const reader = lineReader(await count(gateway, { count: 1_000_000, intervalMs: 5 }, {}, leaving.signal));
  for (let n = 1; n <= 3; n += 1) {
    expect(JSON.parse((await reader.next())!)).toEqual({ n, payload: "" });
  }
  leaving.abort();
  expect((await aborted).code).toBe(Code.Canceled);
  await waitUntil("the stream to end on the host", () => countStats(host.stats()).active === 0, 5_000);
  expect(state.running).toBe(0);
});

test("a client that leaves before the first reply cancels the handler", async () => {
  const { gateway } = await start();
  const aborted = state.nextAbort();
  const request = httpRequest(gateway.url + countPath, { method: "POST", headers: { "Content-Type": "application/json" } });
  request.on("error", () => undefined);
  request.end(JSON.stringify({ count: 3, intervalMs: 60_000 }));
  await waitUntil("the handler to run", () => state.running === 1, 5_000);
  request.destroy();
  expect((await aborted).code).toBe(Code.Canceled);
});

test("close() ends an endless stream at once, with unavailable, and cancels it on the host", async () => {
  // The grace of requests in flight is long: a stream does not wait for it.
  const { gateway } = await start({ maxTimeoutMs: 60_000 });
  const aborted = state.nextAbort();
  const reader = lineReader(await count(gateway, { count: 1_000_000, intervalMs: 10 }));
  expect(JSON.parse((await reader.next())!)).toEqual({ n: 1, payload: "" });
  const closing = performance.now();
  const closed = gateway.close();
  let last: string | undefined;
  for (let line = await reader.next(); line !== undefined; line = await reader.next()) {
    last = line;
  }
  await closed;
  expect(performance.now() - closing).toBeLessThan(3_000);
  expect(JSON.parse(last!)).toEqual({ error: { code: 14, message: "the gateway is shutting down", details: [] } });
  expect((await aborted).code).toBe(Code.Canceled);
});

test("client-streaming and bidirectional methods have no routes, Connect's enveloped streams are refused, unary methods keep theirs", async () => {
  const { gateway } = await start();
  for (const method of ["Sum", "Echo"]) {
    const response = await fetch(`${gateway.url}/testing.streams.v1.Streams/${method}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    expect(response.status).toBe(404);
  }
  // The Connect protocol's enveloped streaming is not what the gateway speaks.
  const enveloped = await fetch(gateway.url + countPath, { method: "POST", headers: { "Content-Type": "application/connect+json" }, body: "{}" });
  expect(enveloped.status).toBe(415);
  const ping = await fetch(`${gateway.url}/testing.streams.v1.Streams/Ping`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ n: 4 }) });
  expect(await ping.json()).toEqual({ n: 4 });
  const document = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, unknown> }> }>> };
  expect(Object.keys(document.paths)).not.toContain("/testing.streams.v1.Streams/Sum");
  expect(Object.keys(document.paths)).not.toContain("/testing.streams.v1.Streams/Echo");
  expect(Object.keys(document.paths[countPath]!["post"]!.responses["200"]!.content).sort()).toEqual(["application/x-ndjson", "text/event-stream"]);
});

// The google.api.http binding of Count (GET /v1/count/{count}) is in the proto; the test runs
// once the generated code has it.
const restRoute = httpBindings(Streams.method.count).length > 0 ? test : test.skip;

restRoute("the REST route of a server-streaming method maps its request as a unary one's", async () => {
  const { gateway } = await start();
  const response = await fetch(`${gateway.url}/v1/count/4?payloadBytes=1`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/x-ndjson");
  expect(await lines(response)).toEqual(items(4).map((item) => ({ ...item, payload: "AA==" })));
  const failing = await fetch(`${gateway.url}/v1/count/9?fail_after=2&fail_code=not_found`, { headers: { Accept: "text/event-stream" } });
  expect(await events(failing)).toEqual([...items(2).map((item) => ({ event: "message", data: item })), { event: "error", data: { code: 5, message: "failed after 2 items", details: [] } }]);
  const invalid = await fetch(`${gateway.url}/v1/count/many`);
  expect(invalid.status).toBe(400);
  expect(((await invalid.json()) as { code: number }).code).toBe(3);
  // HEAD would send no replies: the stream is not started.
  const head = await fetch(`${gateway.url}/v1/count/1000000?interval_ms=1000`, { method: "HEAD" });
  expect(head.status).toBe(200);
  expect(head.headers.get("content-type")).toBe("application/x-ndjson");
  expect(state.running).toBe(0);
  const document = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, unknown> }> }>> };
  expect(Object.keys(document.paths["/v1/count/{count}"]!["get"]!.responses["200"]!.content).sort()).toEqual(["application/x-ndjson", "text/event-stream"]);
});
