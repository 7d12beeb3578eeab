// Tracing interceptors on a real nats-server: one trace across a client, a host, a nested call its
// handler makes and a second host, with the parents, kinds, names and attributes of the RPC
// conventions; errors on both sides.
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { Code, RpcError, type ServiceHost } from "nats-micro-runtime";
import { serveGateway } from "nats-micro-runtime/gateway";
import { clientTracingInterceptor, codeAttribute, hostTracingInterceptor } from "nats-micro-runtime/tracing";
import { calcHandlers } from "../../example/src/calc-handlers.js";
import { Calc } from "../../example/src/gen/calc/v1/calc_pb.js";
import { CalcClient, serveCalc } from "../../example/src/gen/calc/v1/calc_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";

let server: NatsServer;
let nc: NatsConnection;
const hosts: ServiceHost[] = [];
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(async () => {
  // The AsyncLocalStorage context manager and the W3C trace-context propagator, as an application registers them.
  provider.register();
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
});

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
  exporter.reset();
});

afterAll(async () => {
  await nc.close();
  await server.stop();
  await provider.shutdown();
  trace.disable();
});

const serverPort = () => Number(new URL(server.url).port);

// Waits for the spans of a call: the host's span ends after its reply went out.
async function spans(count: number): Promise<ReadableSpan[]> {
  for (let tries = 0; tries < 100 && exporter.getFinishedSpans().length < count; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return exporter.getFinishedSpans();
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("tracing interceptors", () => {
  test("a call, its host, a nested call in the handler and the second host make one trace", async () => {
    const tracing = { connection: nc };
    // Host B serves Sum; host A serves Average and calls Sum from its handler.
    const inner = new CalcClient(nc, { interceptors: [clientTracingInterceptor(tracing)] });
    hosts.push(await serveCalc(nc, calcHandlers, { name: "calc-b", methods: ["Sum"], interceptors: [hostTracingInterceptor(tracing)] }));
    hosts.push(
      await serveCalc(
        nc,
        {
          ...calcHandlers,
          async average(request) {
            const { result } = await inner.sum({ values: request.values });
            return { operation: "average", result: result / request.values.length };
          },
        },
        { name: "calc-a", methods: ["Average"], interceptors: [hostTracingInterceptor(tracing)] },
      ),
    );
    const calc = new CalcClient(nc, { interceptors: [clientTracingInterceptor(tracing)] });
    await expect(calc.average({ values: [1, 2, 3] })).resolves.toMatchObject({ result: 2 });

    const finished = await spans(4);
    expect(finished).toHaveLength(4);
    const find = (name: string, kind: SpanKind) => {
      const span = finished.find((candidate) => candidate.name === name && candidate.kind === kind);
      expect(span).toBeDefined();
      return span!;
    };
    const clientA = find("calc.v1.Calc/Average", SpanKind.CLIENT);
    const serverA = find("calc.v1.Calc/Average", SpanKind.SERVER);
    const clientB = find("calc.v1.Calc/Sum", SpanKind.CLIENT);
    const serverB = find("calc.v1.Calc/Sum", SpanKind.SERVER);
    // One trace, each span the child of the one before.
    expect(new Set(finished.map((span) => span.spanContext().traceId)).size).toBe(1);
    expect(parentOf(clientA)).toBeUndefined();
    expect(parentOf(serverA)).toBe(clientA.spanContext().spanId);
    expect(parentOf(clientB)).toBe(serverA.spanContext().spanId);
    expect(parentOf(serverB)).toBe(clientB.spanContext().spanId);
    expect(serverB.parentSpanContext?.isRemote).toBe(true);

    for (const span of finished) {
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes).toMatchObject({
        "rpc.system": "nats_micro",
        "rpc.service": "calc.v1.Calc",
        "server.address": "127.0.0.1",
        "server.port": serverPort(),
        [codeAttribute]: "ok",
      });
    }
    expect(clientA.attributes).toMatchObject({ "rpc.method": "Average", "messaging.destination.name": "calc.v1.Calc.Average" });
    expect(serverB.attributes).toMatchObject({ "rpc.method": "Sum", "messaging.destination.name": "calc.v1.Calc.Sum" });
  });

  test("a failed call: ERROR with the code on the client, the exception recorded; a caller's mistake is no server error", async () => {
    hosts.push(await serveCalc(nc, calcHandlers, { interceptors: [hostTracingInterceptor({ connection: nc })] }));
    const calc = new CalcClient(nc, { interceptors: [clientTracingInterceptor({ connection: nc })] });
    await expect(calc.average({ values: [] })).rejects.toMatchObject({ code: Code.InvalidArgument });

    const finished = await spans(2);
    const client = finished.find((span) => span.kind === SpanKind.CLIENT)!;
    const host = finished.find((span) => span.kind === SpanKind.SERVER)!;
    expect(client.status).toEqual({ code: SpanStatusCode.ERROR, message: Code.InvalidArgument });
    expect(client.attributes).toMatchObject({ [codeAttribute]: Code.InvalidArgument, "error.type": Code.InvalidArgument });
    expect(client.events.map((event) => event.name)).toEqual(["exception"]);
    expect(host.status.code).toBe(SpanStatusCode.UNSET);
    expect(host.attributes).toMatchObject({ [codeAttribute]: Code.InvalidArgument });
    expect(host.events.map((event) => event.name)).toEqual(["exception"]);
  });

  test("a handler's fault is an ERROR on the host's span too", async () => {
    hosts.push(
      await serveCalc(
        nc,
        {
          ...calcHandlers,
          async sum() {
            throw new Error("the disk is on fire");
          },
        },
        { interceptors: [hostTracingInterceptor()] },
      ),
    );
    const calc = new CalcClient(nc, { interceptors: [clientTracingInterceptor()] });
    await expect(calc.sum({ values: [1] })).rejects.toBeInstanceOf(RpcError);
    const finished = await spans(2);
    const host = finished.find((span) => span.kind === SpanKind.SERVER)!;
    expect(host.status).toEqual({ code: SpanStatusCode.ERROR, message: Code.Internal });
    expect(host.attributes[codeAttribute]).toBe(Code.Internal);
    // Without a connection, no server address.
    expect(host.attributes["server.address"]).toBeUndefined();
  });
});

describe("through the HTTP gateway", () => {
  test("an HTTP caller's traceparent is the parent of the gateway's call, and the host continues the trace", async () => {
    hosts.push(await serveCalc(nc, calcHandlers, { interceptors: [hostTracingInterceptor({ connection: nc })] }));
    const gateway = await serveGateway(nc, [Calc], { port: 0, interceptors: [clientTracingInterceptor({ connection: nc })] });
    try {
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const callerSpanId = "00f067aa0ba902b7";
      const response = await fetch(`${gateway.url}/calc.v1.Calc/Average`, {
        method: "POST",
        headers: { "Content-Type": "application/json", traceparent: `00-${traceId}-${callerSpanId}-01` },
        body: JSON.stringify({ values: [1, 3] }),
      });
      expect(response.status).toBe(200);
      const [first, second] = await spans(2);
      const client = [first, second].find((span) => span?.kind === SpanKind.CLIENT)!;
      const host = [first, second].find((span) => span?.kind === SpanKind.SERVER)!;
      expect(client.spanContext().traceId).toBe(traceId);
      expect(parentOf(client)).toBe(callerSpanId);
      expect(host.spanContext().traceId).toBe(traceId);
      expect(parentOf(host)).toBe(client.spanContext().spanId);
    } finally {
      await gateway.close();
    }
  });
});
