// Streaming calls (docs/protocol.md, "Streaming") end to end on a real nats-server: every kind in
// both encodings, errors after the messages before them, cancellation by break, signal and
// deadline reaching the handler, flow control bounding what a slow reader holds, a vanished peer
// detected by heartbeats, limits, discovery, and a stopping host.
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { context, propagation, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { Code, RpcError, kindMetadataKey, type InfoResponse, type Interceptor, type StatsResponse } from "nats-micro-runtime";
import { createRpcMetrics } from "nats-micro-runtime/metrics";
import { clientTracingInterceptor, codeAttribute, hostTracingInterceptor } from "nats-micro-runtime/tracing";
import { createValidationInterceptor, violationsOf } from "nats-micro-runtime/validation";
import { serveStreams, StreamsClient } from "../gen/testing/streams/v1/streams_nats.js";
import type { Item } from "../gen/testing/streams/v1/streams_pb.js";
import { loadAdr32Validators, validDiscoveryReply } from "../helpers/adr32-schemas.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";
import { waitUntil } from "../helpers/nats-cluster.js";
import { createStreamsHandlers, type StreamsState } from "../helpers/streams-handlers.js";

const nats = useNatsFixture({ hostConnections: 1 });

// Undone after the current test, whatever its outcome.
const cleanups: (() => void)[] = [];
const afterTest = (cleanup: () => void) => cleanups.push(cleanup);
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) {
    cleanup();
  }
});
let state: StreamsState;

// Short heartbeats, so that a vanished peer is found within a test's time: dead after 3 × 200 ms.
const heartbeatMs = 200;

async function serve(options: Parameters<typeof serveStreams>[2] = {}) {
  state = createStreamsHandlers();
  const host = await serveStreams(nats.hostConnections[0]!, state.handlers, options);
  nats.hosts.push(host);
  return host;
}

function client(options: ConstructorParameters<typeof StreamsClient>[1] = {}) {
  return new StreamsClient(nats.nc, { streamHeartbeatMs: heartbeatMs, ...options });
}

async function* items(count: number, from = 1): AsyncGenerator<{ n: number }> {
  for (let n = from; n < from + count; n += 1) {
    yield { n };
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of iterable) {
    all.push(item);
  }
  return all;
}

async function failureOf(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RpcError) {
      return error;
    }
    throw error;
  }
  throw new Error("expected the call to fail");
}

function streamStats(stats: StatsResponse, name: string) {
  const endpoint = stats.endpoints.find((candidate) => candidate.name === name)!;
  return { ...endpoint, stream: (endpoint.data as { stream: { active: number; messages_in: number; messages_out: number } }).stream };
}

describe.each(["binary", "json"] as const)("every kind of stream in %s", (encoding) => {
  test("server streaming: every item in order, with the response headers and trailers", async () => {
    await serve();
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const received = await collect(client({ encoding }).count({ count: 1_000, payloadBytes: 3 }, { onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) }));
    expect(received.map((item) => item.n)).toEqual(Array.from({ length: 1_000 }, (_, index) => index + 1));
    expect(received.every((item) => item.payload.length === 3)).toBe(true);
    expect(header?.get("x-count")).toBe("1000");
    expect(trailer?.get("x-sent")).toBe("1000");
  });

  test("client streaming: the host reads every request and answers once", async () => {
    await serve();
    const total = await client({ encoding }).sum(items(1_000));
    expect(total.count).toBe(1_000);
    expect(total.sum).toBe(500_500n);
  });

  test("bidirectional: each reply comes back while the next request is not yet sent", async () => {
    await serve();
    // A request queue the test fills one at a time: the next request goes only after its echo came.
    const sent: number[] = [];
    let next: ((value: IteratorResult<{ n: number }>) => void) | undefined;
    const requests: AsyncIterable<{ n: number }> = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise((resolve) => (next = resolve)) }),
    };
    const replies = client({ encoding }).echo(requests)[Symbol.asyncIterator]();
    const first = replies.next();
    for (let n = 1; n <= 20; n += 1) {
      await waitUntil("the call to ask for a request", () => next !== undefined, 5_000);
      const give = next!;
      next = undefined;
      sent.push(n);
      give({ done: false, value: { n } });
      const reply = await (n === 1 ? first : replies.next());
      expect(reply.value?.n).toBe(n);
    }
    await waitUntil("the call to ask for a request", () => next !== undefined, 5_000);
    next!({ done: true, value: undefined });
    expect((await replies.next()).done).toBe(true);
  });
});

test("an error after N messages arrives after the N messages, with its code", async () => {
  await serve();
  const received: Item[] = [];
  const failure = await failureOf(
    (async () => {
      for await (const item of client().count({ count: 100, failAfter: 7, failCode: Code.FailedPrecondition })) {
        received.push(item);
      }
    })(),
  );
  expect(received.map((item) => item.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(failure.code).toBe(Code.FailedPrecondition);
  expect(failure.rawMessage).toBe("failed after 7 items");
});

test("an error of a bidirectional handler ends the stream for both sides", async () => {
  await serve();
  const failure = await failureOf(collect(client().echo(items(5, -2))));
  expect(failure.code).toBe(Code.InvalidArgument);
  expect(failure.rawMessage).toBe("item -2 is negative");
});

test("breaking out of the loop cancels the stream on the host", async () => {
  const host = await serve();
  const aborted = state.nextAbort();
  for await (const item of client().count({ count: 1_000_000, intervalMs: 1 })) {
    if (item.n === 3) {
      break;
    }
  }
  expect((await aborted).code).toBe(Code.Canceled);
  await waitUntil("the stream to end on the host", () => streamStats(host.stats(), "Count").stream.active === 0, 2_000);
  expect(state.running).toBe(0);
});

test("the caller's signal cancels the stream on both sides", async () => {
  await serve();
  const controller = new AbortController();
  const aborted = state.nextAbort();
  const received: number[] = [];
  const failure = await failureOf(
    (async () => {
      for await (const item of client().count({ count: 1_000_000, intervalMs: 1 }, { signal: controller.signal })) {
        received.push(item.n);
        if (item.n === 5) {
          controller.abort();
        }
      }
    })(),
  );
  expect(failure.code).toBe(Code.Canceled);
  expect(received).toEqual([1, 2, 3, 4, 5]);
  expect((await aborted).code).toBe(Code.Canceled);
});

test("a deadline mid-stream fails both sides with deadline_exceeded", async () => {
  await serve();
  const aborted = state.nextAbort();
  const received: number[] = [];
  const failure = await failureOf(
    (async () => {
      for await (const item of client().count({ count: 1_000, intervalMs: 20 }, { timeoutMs: 300 })) {
        received.push(item.n);
      }
    })(),
  );
  expect(failure.code).toBe(Code.DeadlineExceeded);
  expect(received.length).toBeGreaterThan(0);
  expect(received.length).toBeLessThan(1_000);
  expect((await aborted).code).toBe(Code.DeadlineExceeded);
});

test("a slow reader holds at most its window: the host sends only as the reader takes", async () => {
  const host = await serve();
  const window = 8;
  const replies = client({ streamWindow: window }).count({ count: 10_000 })[Symbol.asyncIterator]();
  for (let taken = 1; taken <= 30; taken += 1) {
    const reply = await replies.next();
    expect(reply.value?.n).toBe(taken);
    // Give the host every chance to run ahead.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const sent = streamStats(host.stats(), "Count").stream.messages_out;
    expect(sent).toBeLessThanOrEqual(taken + window);
  }
  await replies.return?.();
});

test("for large messages the window shrinks to about 1 MiB of them: a slow reader of 200 kB replies holds a few", async () => {
  const host = await serve();
  const replies = client().count({ count: 1_000, payloadBytes: 200_000 })[Symbol.asyncIterator]();
  for (let taken = 1; taken <= 80; taken += 1) {
    expect((await replies.next()).value?.n).toBe(taken);
    if (taken % 10 === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      // 64 before the first message was seen, then the least window of 8.
      expect(streamStats(host.stats(), "Count").stream.messages_out).toBeLessThanOrEqual(Math.max(64, taken + 8));
    }
  }
  await replies.return?.();
});

test("a slow host holds at most its window of the caller's requests", async () => {
  const window = 4;
  const host = await serve({ streamWindow: window });
  // Requests as fast as the call takes them; the host echoes, and the test reads the echoes slowly.
  let pulled = 0;
  const requests = (async function* () {
    for (let n = 1; n <= 1_000; n += 1) {
      pulled = n;
      yield { n };
    }
  })();
  const replies = client({ streamWindow: window }).echo(requests)[Symbol.asyncIterator]();
  for (let taken = 1; taken <= 20; taken += 1) {
    expect((await replies.next()).value?.n).toBe(taken);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // What the caller pulled is bounded by what went through: the echoes read, the two windows, one in hand each side.
    expect(pulled).toBeLessThanOrEqual(taken + 2 * window + 2);
  }
  await replies.return?.();
  await waitUntil("the stream to end on the host", () => streamStats(host.stats(), "Echo").stream.active === 0, 2_000);
});

test("a stream to a method nobody serves fails at once with unavailable", async () => {
  const started = performance.now();
  const failure = await failureOf(collect(client().count({ count: 1 })));
  expect(failure.code).toBe(Code.Unavailable);
  expect(failure.rawMessage).toBe("no service instance is listening on testing.streams.v1.Streams.Count");
  expect(performance.now() - started).toBeLessThan(heartbeatMs);
});

test("a host that vanishes mid-stream fails the caller with unavailable within the liveness bound", async () => {
  state = createStreamsHandlers();
  const hostConnection = await connect({ servers: nats.server.url });
  await serveStreams(hostConnection, state.handlers);
  const received: number[] = [];
  let failedAt = 0;
  let vanishedAt = 0;
  const failure = await failureOf(
    (async () => {
      try {
        for await (const item of client().count({ count: 1_000_000, intervalMs: 5 })) {
          received.push(item.n);
          if (item.n === 3) {
            // Its connection goes without a word, as a killed process's would; the handler is left running.
            vanishedAt = performance.now();
            await closeAbruptly(hostConnection);
          }
        }
      } finally {
        failedAt = performance.now();
      }
    })(),
  );
  expect(failure.code).toBe(Code.Unavailable);
  expect(received.slice(0, 3)).toEqual([1, 2, 3]);
  expect(failedAt - vanishedAt).toBeLessThan(4 * heartbeatMs + 500);
});

test("a caller that vanishes mid-stream aborts the handler within the liveness bound", async () => {
  const host = await serve();
  const callerConnection = await connect({ servers: nats.server.url });
  const aborted = state.nextAbort();
  const replies = new StreamsClient(callerConnection, { streamHeartbeatMs: heartbeatMs }).count({ count: 1_000_000, intervalMs: 5 })[Symbol.asyncIterator]();
  expect((await replies.next()).value?.n).toBe(1);
  const vanishedAt = performance.now();
  await closeAbruptly(callerConnection);
  expect((await aborted).code).toBe(Code.Unavailable);
  expect(performance.now() - vanishedAt).toBeLessThan(4 * heartbeatMs + 500);
  await waitUntil("the stream to end on the host", () => streamStats(host.stats(), "Count").stream.active === 0, 2_000);
});

test("cancelling many streams leaves nothing running", async () => {
  const host = await serve();
  const controller = new AbortController();
  const calls = Array.from({ length: 50 }, () => failureOf(collect(client().count({ count: 1_000_000, intervalMs: 2 }, { signal: controller.signal }))));
  await waitUntil("every stream to run", () => streamStats(host.stats(), "Count").stream.active === 50, 5_000);
  controller.abort();
  expect((await Promise.all(calls)).map((failure) => failure.code)).toEqual(Array(50).fill(Code.Canceled));
  await waitUntil("every stream to end on the host", () => streamStats(host.stats(), "Count").stream.active === 0, 2_000);
  expect(state.running).toBe(0);
  const stats = streamStats(host.stats(), "Count");
  expect(stats.num_requests).toBe(50);
  expect(stats.num_errors).toBe(50);
  expect(stats.last_error).toBe("canceled: the caller canceled the stream");
});

test("a host serves at most maxConcurrentStreams streams, refusing more with resource_exhausted", async () => {
  const host = await serve({ maxConcurrentStreams: 2 });
  const controller = new AbortController();
  const running = [1, 2].map(() => client().count({ count: 1_000_000, intervalMs: 5 }, { signal: controller.signal })[Symbol.asyncIterator]());
  await Promise.all(running.map((replies) => replies.next()));
  const failure = await failureOf(collect(client().count({ count: 1 })));
  expect(failure.code).toBe(Code.ResourceExhausted);
  controller.abort();
  await Promise.all(running.map((replies) => replies.next().catch(() => undefined)));
  // Once the host has heard of the cancels, it takes streams again.
  await waitUntil("the canceled streams to end on the host", () => streamStats(host.stats(), "Count").stream.active === 0, 2_000);
  expect((await collect(client().count({ count: 2 }))).length).toBe(2);
});

test("a reply larger than the server's max_payload ends the stream with resource_exhausted", async () => {
  await serve();
  const maxPayload = nats.nc.info!.max_payload;
  const received: Item[] = [];
  const failure = await failureOf(
    (async () => {
      for await (const item of client().count({ count: 2, payloadBytes: maxPayload })) {
        received.push(item);
      }
    })(),
  );
  expect(received).toEqual([]);
  expect(failure.code).toBe(Code.ResourceExhausted);
  expect(failure.rawMessage).toMatch(/is larger than the server's max_payload/);
});

test("a request larger than the server's max_payload fails the call with resource_exhausted", async () => {
  await serve();
  const maxPayload = nats.nc.info!.max_payload;
  const failure = await failureOf(client().sum((async function* () {
    yield { n: 1 };
    yield { n: 2, payload: new Uint8Array(maxPayload) };
  })()));
  expect(failure.code).toBe(Code.ResourceExhausted);
});

test("a unary request to a streaming method is told to open a stream", async () => {
  await serve();
  const reply = await nats.nc.request("testing.streams.v1.Streams.Count", new Uint8Array(0), { timeout: 2_000 });
  expect(reply.headers?.get("Nats-Rpc-Code")).toBe(Code.Unimplemented);
  expect(reply.headers?.get("Nats-Service-Error")).toMatch(/Count is a server streaming method: open a stream/);
});

test("discovery lists the streaming endpoints with their kind, and counts their streams and messages", async () => {
  const host = await serve();
  await collect(client().count({ count: 3 }));
  await client().sum(items(4));
  // The replies still follow the official micro v1 schemas.
  const validators = await loadAdr32Validators();
  const info = validDiscoveryReply(validators, "INFO", await nats.nc.request("$SRV.INFO.Streams", undefined, { timeout: 2_000 })) as InfoResponse;
  validDiscoveryReply(validators, "STATS", await nats.nc.request("$SRV.STATS.Streams", undefined, { timeout: 2_000 }));
  expect(info.endpoints.map((endpoint) => [endpoint.name, endpoint.metadata[kindMetadataKey]])).toEqual([
    ["Ping", undefined],
    ["Count", "server_streaming"],
    ["Sum", "client_streaming"],
    ["Echo", "bidi_streaming"],
  ]);
  expect(streamStats(host.stats(), "Count").stream).toEqual({ active: 0, messages_in: 0, messages_out: 3 });
  expect(streamStats(host.stats(), "Sum").stream).toEqual({ active: 0, messages_in: 4, messages_out: 1 });
  expect(streamStats(host.stats(), "Count").num_requests).toBe(1);
});

test("the host's metrics count each stream as a request, and its messages each way", async () => {
  const metrics = createRpcMetrics();
  await serve({ metrics });
  await collect(client().count({ count: 3 }));
  await client().sum(items(4));
  await failureOf(collect(client().count({ count: 5, failAfter: 1, failCode: Code.Aborted })));
  const text = await metrics.registry.metrics();
  expect(text).toContain('nats_rpc_server_stream_messages_total{service="Streams",method="Count",direction="out"} 4');
  expect(text).toContain('nats_rpc_server_stream_messages_total{service="Streams",method="Sum",direction="in"} 4');
  expect(text).toContain('nats_rpc_server_stream_messages_total{service="Streams",method="Sum",direction="out"} 1');
  expect(text).toContain('nats_rpc_server_requests_total{service="Streams",method="Count",code="ok"} 1');
  expect(text).toContain('nats_rpc_server_requests_total{service="Streams",method="Count",code="aborted"} 1');
  expect(text).toContain('nats_rpc_server_requests_in_flight{service="Streams",method="Count"} 0');
});

test("a stopping host ends its streams with unavailable, after the messages sent before", async () => {
  const host = await serve();
  const received: number[] = [];
  const failure = await failureOf(
    (async () => {
      for await (const item of client().count({ count: 1_000_000, intervalMs: 5 })) {
        received.push(item.n);
        if (item.n === 4) {
          void host.stop();
        }
      }
    })(),
  );
  expect(failure.code).toBe(Code.Unavailable);
  expect(failure.rawMessage).toBe("the host is stopping");
  expect(received.slice(0, 4)).toEqual([1, 2, 3, 4]);
  await host.stop();
  expect(state.running).toBe(0);
});

test("100,000 messages arrive in order", async () => {
  await serve();
  let expected = 1;
  for await (const item of client().count({ count: 100_000 })) {
    if (item.n !== expected) {
      throw new Error(`item ${item.n} arrived where ${expected} was expected`);
    }
    expected += 1;
  }
  expect(expected).toBe(100_001);
}, 60_000);

describe("host interceptors see streams", () => {
  test("validation checks each message as the handler takes it, and ends the stream at the first that breaks a rule", async () => {
    await serve({ interceptors: [createValidationInterceptor()] });
    const received: number[] = [];
    const failure = await failureOf(
      (async () => {
        for await (const item of client().echo((async function* () {
          yield { n: 1 };
          yield { n: 2 };
          yield { n: 2_000_000 };
          yield { n: 3 };
        })())) {
          received.push(item.n);
        }
      })(),
    );
    expect(received).toEqual([1, 2]);
    expect(failure.code).toBe(Code.InvalidArgument);
    expect(violationsOf(failure).map((violation) => [violation.field, violation.ruleId])).toEqual([["n", "int32.lte"]]);
  });

  test("an interceptor may read and replace the replies, and add headers and trailers", async () => {
    const doubling: Interceptor = Object.assign(((next) => next) as Interceptor, {
      stream: ((next) => async (request) => {
        const response = await next(request);
        response.header.set("x-intercepted", "yes");
        response.trailer.set("x-trailer", "set");
        return {
          ...response,
          message: (async function* () {
            for await (const reply of response.message) {
              yield { ...reply, n: (reply as unknown as Item).n * 2 } as typeof reply;
            }
          })(),
        };
      }) satisfies NonNullable<Interceptor["stream"]>,
    });
    await serve({ interceptors: [doubling] });
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const received = await collect(client().count({ count: 3 }, { onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) }));
    expect(received.map((item) => item.n)).toEqual([2, 4, 6]);
    expect(header?.get("x-intercepted")).toBe("yes");
    expect(header?.get("x-count")).toBe("3");
    expect(trailer?.get("x-trailer")).toBe("set");
    expect(trailer?.get("x-sent")).toBe("3");
    expect(await client().sum(items(3))).toMatchObject({ count: 3, sum: 6n });
  });

  test("the host's tracing interceptor makes one SERVER span per stream, ended with the stream's code", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    await serve({ interceptors: [hostTracingInterceptor({ tracerProvider: provider })] });
    await collect(client().count({ count: 5 }));
    await failureOf(collect(client().count({ count: 5, failAfter: 2, failCode: Code.Internal })));
    await waitUntil("both spans to end", () => exporter.getFinishedSpans().length === 2, 2_000);
    expect(exporter.getFinishedSpans().map((span) => [span.name, span.attributes[codeAttribute]])).toEqual([
      ["testing.streams.v1.Streams/Count", "ok"],
      ["testing.streams.v1.Streams/Count", Code.Internal],
    ]);
    await provider.shutdown();
  });
});

describe("client interceptors see streams", () => {
  test("validation on the client fails a stream at the first request that breaks a rule, and the host hears of it", async () => {
    await serve();
    const aborted = state.nextAbort();
    const validating = client({ interceptors: [createValidationInterceptor()] });
    const failure = await failureOf(
      validating.sum((async function* () {
        yield { n: 1 };
        yield { n: 2_000_000 };
      })()),
    );
    expect(failure.code).toBe(Code.InvalidArgument);
    expect(violationsOf(failure).map((violation) => violation.ruleId)).toEqual(["int32.lte"]);
    expect((await aborted).code).toBe(Code.Canceled);
    expect((await validating.sum(items(3))).count).toBe(3);
  });

  test("client and host tracing make one trace of a stream: the host's span a child of the caller's", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    // The W3C propagator and the async context manager, as an application's tracing set-up registers them.
    provider.register();
    afterTest(() => {
      trace.disable();
      propagation.disable();
      context.disable();
    });
    await serve({ interceptors: [hostTracingInterceptor({ tracerProvider: provider })] });
    const traced = client({ interceptors: [clientTracingInterceptor({ tracerProvider: provider })] });
    expect((await collect(traced.count({ count: 4 }))).length).toBe(4);
    await waitUntil("both spans to end", () => exporter.getFinishedSpans().length === 2, 2_000);
    const [first, second] = exporter.getFinishedSpans();
    const clientSpan = [first!, second!].find((span) => span.kind === 2)!; // SpanKind.CLIENT
    const hostSpan = [first!, second!].find((span) => span.kind === 1)!; // SpanKind.SERVER
    expect(hostSpan.spanContext().traceId).toBe(clientSpan.spanContext().traceId);
    expect(hostSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
    expect(clientSpan.attributes[codeAttribute]).toBe("ok");
    await provider.shutdown();
  });

  test("a client's metrics count each stream by its code", async () => {
    await serve();
    const metrics = createRpcMetrics();
    const counted = client({ metrics });
    await collect(counted.count({ count: 2 }));
    await failureOf(collect(counted.count({ count: 5, failAfter: 1, failCode: Code.NotFound })));
    const text = await metrics.registry.metrics();
    expect(text).toContain('nats_rpc_client_requests_total{service="Streams",method="Count",code="ok"} 1');
    expect(text).toContain('nats_rpc_client_requests_total{service="Streams",method="Count",code="not_found"} 1');
  });
});

// Closes a connection's socket without the protocol's goodbye, as when its process is killed.
async function closeAbruptly(connection: NatsConnection): Promise<void> {
  const transport = (connection as unknown as { protocol: { transport: { socket?: { destroy(): void } } } }).protocol.transport;
  transport.socket?.destroy();
  await connection.close().catch(() => undefined);
}
