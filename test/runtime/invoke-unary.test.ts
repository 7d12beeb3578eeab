// invokeUnary, the one call path of every entry point, driven without NATS: an endpoint built by
// hand and in-memory requests (the transport-agnostic IncomingRequest), nothing mocked.
import { create, fromBinary, fromJsonString, toBinary } from "@bufbuild/protobuf";
import { AverageRequestSchema, Calc, CalcResponseSchema, SumRequestSchema, type AverageRequest, type CalcResponse } from "../../example/src/gen/calc/v1/calc_pb.js";
import { invokeUnary, internalErrorMessage } from "../../runtime/src/host/invoke-unary.js";
import type { HostEndpoint } from "../../runtime/src/host/host-endpoint.js";
import { Code } from "../../runtime/src/protocol/code.js";
import { RpcError } from "../../runtime/src/protocol/rpc-error.js";
import type { UnaryReply } from "../../runtime/src/protocol/unary-exchange.js";
import type { HandlerContext } from "../../runtime/src/service/handler-context.js";
import { handBuiltEndpoint, handBuiltHost, recordedMetrics } from "../helpers/hand-built-endpoint.js";
import { memoryRequest, type MemoryRequest } from "../helpers/memory-request.js";

type Reply = { operation: string; result: number };

const mean = (values: readonly number[]) => values.reduce((total, value) => total + value, 0) / values.length;

/** A synchronous average handler that counts its calls. */
function countingAverage() {
  const calls: AverageRequest[] = [];
  const handler = (request: AverageRequest): Reply => {
    calls.push(request);
    return { operation: "average", result: mean(request.values) };
  };
  return { calls, handler };
}

/** A promise with its resolve function, for handlers that finish when the test says so. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

const binaryAverage = (values: number[]) => toBinary(AverageRequestSchema, create(AverageRequestSchema, { values }));
const json = { "Content-Type": "application/json" };
const onlyReply = (request: MemoryRequest): UnaryReply => {
  expect(request.sent).toHaveLength(1);
  return request.sent[0]!;
};
const errorOf = (reply: UnaryReply) => ({
  code: reply.error?.code,
  message: reply.error?.rawMessage,
  headerCode: reply.header?.get("Nats-Rpc-Code"),
  headerMessage: reply.header?.get("Nats-Service-Error"),
  status: reply.header?.get("Nats-Service-Error-Code"),
});
const statsOf = (endpoint: HostEndpoint) => ({ requests: endpoint.stats.numRequests, errors: endpoint.stats.numErrors, lastError: endpoint.stats.lastError });

describe("encodings", () => {
  test("a binary request gets a binary reply, without headers", () => {
    const { calls, handler } = countingAverage();
    const endpoint = handBuiltEndpoint(Calc.method.average, handler);
    const request = memoryRequest({ payload: binaryAverage([1, 2, 6]) });
    expect(invokeUnary(endpoint, request)).toBeUndefined();
    expect(calls.map((call) => call.values)).toEqual([[1, 2, 6]]);
    const reply = onlyReply(request);
    expect(reply.encoding).toBe("binary");
    expect(reply.header).toBeUndefined();
    expect(reply.error).toBeUndefined();
    expect(fromBinary(CalcResponseSchema, reply.payload)).toMatchObject({ operation: "average", result: 3 });
    expect(statsOf(endpoint)).toEqual({ requests: 1, errors: 0, lastError: "" });
  });

  test("a JSON request gets a JSON reply with its Content-Type, and the handler's headers", () => {
    const endpoint = handBuiltEndpoint(Calc.method.average, (request: AverageRequest, context: HandlerContext): Reply => {
      expect(context.encoding).toBe("json");
      context.responseHeader.set("x-count", String(request.values.length));
      // The reply's encoding is the request's, whatever the handler sets.
      context.responseHeader.set("content-type", "application/protobuf");
      return { operation: "average", result: mean(request.values) };
    });
    const request = memoryRequest({ payload: '{"values": [2, 4]}', headers: { "content-type": "application/json; charset=utf-8" } });
    invokeUnary(endpoint, request);
    const reply = onlyReply(request);
    expect(reply.encoding).toBe("json");
    expect(JSON.parse(new TextDecoder().decode(reply.payload))).toEqual({ operation: "average", result: 3 });
    expect(fromJsonString(CalcResponseSchema, new TextDecoder().decode(reply.payload)).result).toBe(3);
    expect(Object.fromEntries(reply.header!)).toEqual({ "content-type": "application/json", "x-count": "2" });
  });

  test("a protobuf media type is binary, and so is the reply", () => {
    const endpoint = handBuiltEndpoint(Calc.method.average, countingAverage().handler);
    const request = memoryRequest({ payload: binaryAverage([5]), headers: { "Content-Type": "application/x-protobuf" } });
    invokeUnary(endpoint, request);
    const reply = onlyReply(request);
    expect(reply.encoding).toBe("binary");
    expect(fromBinary(CalcResponseSchema, reply.payload).result).toBe(5);
  });

  test("a payload that does not decode gets invalid_argument in the request's encoding, and the handler does not run", () => {
    const { calls, handler } = countingAverage();
    const endpoint = handBuiltEndpoint(Calc.method.average, handler);

    const binary = memoryRequest({ payload: new Uint8Array([0x0a, 0xff, 0xff]) });
    invokeUnary(endpoint, binary);
    expect(errorOf(onlyReply(binary))).toMatchObject({ code: Code.InvalidArgument, headerCode: "invalid_argument", status: "400" });
    expect(onlyReply(binary).error!.rawMessage).toMatch(/^cannot decode calc\.v1\.AverageRequest from protobuf binary: /);
    expect(onlyReply(binary).payload).toEqual(new Uint8Array(0));

    const text = memoryRequest({ payload: '{"valuez": [1]}', headers: json });
    invokeUnary(endpoint, text);
    const reply = onlyReply(text);
    expect(reply.encoding).toBe("json");
    expect(reply.header!.get("content-type")).toBe("application/json");
    expect(errorOf(reply).code).toBe(Code.InvalidArgument);
    expect(errorOf(reply).headerMessage).toMatch(/^cannot decode calc\.v1\.AverageRequest from JSON: .*"valuez" is unknown/);

    expect(calls).toEqual([]);
    expect(statsOf(endpoint)).toMatchObject({ requests: 2, errors: 2 });
    expect(endpoint.stats.lastError).toMatch(/^invalid_argument: cannot decode calc\.v1\.AverageRequest from JSON/);
  });

  test("an unknown Content-Type gets invalid_argument (in binary) that names it, and the handler does not run", () => {
    const { calls, handler } = countingAverage();
    const endpoint = handBuiltEndpoint(Calc.method.average, handler);
    const request = memoryRequest({ payload: binaryAverage([1]), headers: { "Content-Type": "text/xml" } });
    invokeUnary(endpoint, request);
    const reply = onlyReply(request);
    expect(reply.encoding).toBe("binary");
    expect(errorOf(reply)).toMatchObject({ code: Code.InvalidArgument, status: "400" });
    expect(reply.error!.rawMessage).toContain('unsupported Content-Type "text/xml"');
    expect(calls).toEqual([]);
    expect(statsOf(endpoint)).toMatchObject({ requests: 1, errors: 1 });
    expect(endpoint.stats.lastError).toMatch(/^invalid_argument: unsupported Content-Type "text\/xml"/);
  });
});

test("a timeout header that is not whole milliseconds gets invalid_argument, and the handler does not run", () => {
  const { calls, handler } = countingAverage();
  const endpoint = handBuiltEndpoint(Calc.method.average, handler);
  for (const value of ["soon", "-5", "1.5"]) {
    const request = memoryRequest({ payload: binaryAverage([1]), headers: { "Nats-Rpc-Timeout-Ms": value } });
    invokeUnary(endpoint, request);
    expect(errorOf(onlyReply(request))).toMatchObject({ code: Code.InvalidArgument, message: `invalid timeout header "${value}": expected whole milliseconds, such as 5000` });
  }
  expect(calls).toEqual([]);
  expect(statsOf(endpoint)).toMatchObject({ requests: 3, errors: 3 });
});

describe("handler errors", () => {
  test("an RpcError is sent with its code and message, with the headers the handler set", async () => {
    const endpoint = handBuiltEndpoint(Calc.method.average, async (_request: AverageRequest, context: HandlerContext) => {
      context.responseHeader.set("x-reason", "empty");
      throw new RpcError("values must not be empty", Code.FailedPrecondition);
    });
    const request = memoryRequest({ payload: binaryAverage([]) });
    await invokeUnary(endpoint, request);
    const reply = onlyReply(request);
    expect(errorOf(reply)).toEqual({
      code: Code.FailedPrecondition,
      message: "values must not be empty",
      headerCode: "failed_precondition",
      headerMessage: "values must not be empty",
      status: "400",
    });
    expect(reply.header!.get("x-reason")).toBe("empty");
    expect(statsOf(endpoint)).toEqual({ requests: 1, errors: 1, lastError: "failed_precondition: values must not be empty" });
  });

  test("a plain Error is internal, and its message reaches only the stats unless the host exposes it", async () => {
    const secret = "ENOENT: no such file or directory, open '/srv/app/config.json'";
    const throwing = async (): Promise<Reply> => {
      throw new Error(secret);
    };
    const hidden = handBuiltEndpoint(Calc.method.average, throwing);
    const hiddenRequest = memoryRequest({ payload: binaryAverage([1]) });
    await invokeUnary(hidden, hiddenRequest);
    expect(errorOf(onlyReply(hiddenRequest))).toEqual({
      code: Code.Internal,
      message: internalErrorMessage,
      headerCode: "internal",
      headerMessage: "internal error",
      status: "500",
    });
    expect(JSON.stringify([...onlyReply(hiddenRequest).header!])).not.toContain("ENOENT");
    expect(hidden.stats.lastError).toBe(`internal: ${secret}`);

    // Thrown synchronously, the same.
    const syncHidden = handBuiltEndpoint(Calc.method.average, (): Reply => {
      throw new TypeError(secret);
    });
    const syncRequest = memoryRequest({ payload: binaryAverage([1]) });
    expect(invokeUnary(syncHidden, syncRequest)).toBeUndefined();
    expect(errorOf(onlyReply(syncRequest))).toMatchObject({ code: Code.Internal, message: internalErrorMessage });
    expect(syncHidden.stats.lastError).toBe(`internal: ${secret}`);

    const exposed = handBuiltEndpoint(Calc.method.average, throwing, { host: handBuiltHost({ exposeInternalErrors: true }) });
    const exposedRequest = memoryRequest({ payload: binaryAverage([1]) });
    await invokeUnary(exposed, exposedRequest);
    expect(errorOf(onlyReply(exposedRequest))).toMatchObject({ code: Code.Internal, message: secret, headerMessage: secret });
  });

  test("a handler that returns no message is internal, and says what it returned", () => {
    const endpoint = handBuiltEndpoint(Calc.method.average, () => undefined);
    const request = memoryRequest({ payload: binaryAverage([1]) });
    invokeUnary(endpoint, request);
    expect(errorOf(onlyReply(request))).toMatchObject({ code: Code.Internal, message: "handler for Average returned undefined, not a calc.v1.CalcResponse" });
  });
});

describe("deadlines", () => {
  test("when the caller's deadline runs out, the handler's signal aborts with deadline_exceeded and no reply is sent", async () => {
    let seen: HandlerContext | undefined;
    const endpoint = handBuiltEndpoint(Calc.method.average, (_request: AverageRequest, context: HandlerContext) => {
      seen = context;
      return new Promise<Reply>((_resolve, reject) => context.signal.addEventListener("abort", () => reject(new Error("handler gave up")), { once: true }));
    });
    const request = memoryRequest({ payload: binaryAverage([1]), headers: { "Nats-Rpc-Timeout-Ms": "40" } });
    const startedAt = Date.now();
    const done = invokeUnary(endpoint, request);
    expect(done).toBeInstanceOf(Promise);
    expect(seen!.timeoutMs()).toBeGreaterThan(0);
    expect(seen!.timeoutMs()).toBeLessThanOrEqual(40);
    await done;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(35);
    expect(seen!.signal.aborted).toBe(true);
    expect(seen!.signal.reason).toBeInstanceOf(RpcError);
    expect((seen!.signal.reason as RpcError).code).toBe(Code.DeadlineExceeded);
    expect(request.sent).toEqual([]);
    expect(statsOf(endpoint)).toEqual({ requests: 1, errors: 1, lastError: "deadline_exceeded: deadline of 40 ms exceeded" });
    expect(endpoint.host.inFlight).toBe(0);
  });

  test("a handler that ignores its signal and answers late sends nothing after the deadline", async () => {
    const late = deferred<Reply>();
    const endpoint = handBuiltEndpoint(Calc.method.average, () => late.promise);
    const request = memoryRequest({ payload: binaryAverage([1]), headers: { "Nats-Rpc-Timeout-Ms": "20" } });
    await invokeUnary(endpoint, request);
    late.resolve({ operation: "average", result: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(request.sent).toEqual([]);
    expect(statsOf(endpoint)).toMatchObject({ requests: 1, errors: 1 });
  });

  test("without a timeout header, the method's default timeout applies", async () => {
    const endpoint = handBuiltEndpoint(Calc.method.average, () => deferred<Reply>().promise, { timeoutMs: 25 });
    const request = memoryRequest({ payload: binaryAverage([1]) });
    await invokeUnary(endpoint, request);
    expect(request.sent).toEqual([]);
    expect(endpoint.stats.lastError).toBe("deadline_exceeded: deadline of 25 ms exceeded");
  });

  test("an async handler within its deadline is answered", async () => {
    const endpoint = handBuiltEndpoint(Calc.method.average, async (request: AverageRequest) => ({ operation: "average", result: mean(request.values) }));
    const request = memoryRequest({ payload: binaryAverage([3, 5]), headers: { "Nats-Rpc-Timeout-Ms": "5000" } });
    await invokeUnary(endpoint, request);
    expect(fromBinary(CalcResponseSchema, onlyReply(request).payload).result).toBe(4);
  });
});

describe("concurrency limits", () => {
  test("a request over the endpoint's limit gets resource_exhausted at once, without running the handler", async () => {
    const pending = deferred<Reply>();
    let calls = 0;
    const endpoint = handBuiltEndpoint(
      Calc.method.average,
      () => {
        calls += 1;
        return pending.promise;
      },
      { maxInFlight: 1, host: handBuiltHost({ serviceName: "Calc" }) },
    );
    const first = memoryRequest({ payload: binaryAverage([1]) });
    const running = invokeUnary(endpoint, first);
    const second = memoryRequest({ payload: binaryAverage([2]), headers: json });
    expect(invokeUnary(endpoint, second)).toBeUndefined();
    // Answered in the same turn, in the request's encoding.
    const refused = onlyReply(second);
    expect(refused.encoding).toBe("json");
    expect(errorOf(refused)).toMatchObject({
      code: Code.ResourceExhausted,
      message: "Calc.Average is serving its limit of 1 concurrent requests; retry later",
      status: "429",
    });
    expect(calls).toBe(1);
    expect(statsOf(endpoint)).toMatchObject({ requests: 1, errors: 1 });
    expect(endpoint.stats.lastError).toMatch(/^resource_exhausted: Calc\.Average is serving its limit of 1/);

    pending.resolve({ operation: "average", result: 1 });
    await running;
    expect(onlyReply(first).error).toBeUndefined();
    expect(endpoint.inFlight).toBe(0);
    expect(statsOf(endpoint)).toMatchObject({ requests: 2, errors: 1 });

    // The place is free again.
    const third = memoryRequest({ payload: binaryAverage([3]) });
    await invokeUnary(endpoint, third);
    expect(onlyReply(third).error).toBeUndefined();
    expect(calls).toBe(2);
  });

  test("a request over the host's limit gets resource_exhausted, whichever endpoint holds the places", async () => {
    const host = handBuiltHost({ maxInFlight: 1, serviceName: "Calc" });
    const pending = deferred<Reply>();
    const average = handBuiltEndpoint(Calc.method.average, () => pending.promise, { host });
    let sumCalls = 0;
    const sum = handBuiltEndpoint(
      Calc.method.sum,
      (): Reply => {
        sumCalls += 1;
        return { operation: "sum", result: 0 };
      },
      { host },
    );
    const running = invokeUnary(average, memoryRequest({ payload: binaryAverage([1]) }));
    expect(host.inFlight).toBe(1);
    const request = memoryRequest({ payload: toBinary(SumRequestSchema, create(SumRequestSchema, { values: [1] })) });
    invokeUnary(sum, request);
    expect(errorOf(onlyReply(request))).toMatchObject({ code: Code.ResourceExhausted, message: "Calc is serving its limit of 1 concurrent requests; retry later" });
    expect(sumCalls).toBe(0);
    expect(statsOf(sum)).toMatchObject({ requests: 1, errors: 1 });
    pending.resolve({ operation: "average", result: 1 });
    await running;
    expect(host.inFlight).toBe(0);
  });

  test("host.inFlight counts requests in progress over all endpoints, back to 0, and onIdle fires each time it gets there", async () => {
    const host = handBuiltHost();
    let idle = 0;
    host.onIdle = () => (idle += 1);
    const slow = [deferred<Reply>(), deferred<Reply>()];
    let next = 0;
    const average = handBuiltEndpoint(Calc.method.average, () => slow[next++]!.promise, { host });
    const sum = handBuiltEndpoint(Calc.method.sum, (): Reply => ({ operation: "sum", result: 1 }), { host });

    const first = invokeUnary(average, memoryRequest({ payload: binaryAverage([1]) }));
    const second = invokeUnary(average, memoryRequest({ payload: binaryAverage([2]) }));
    expect([host.inFlight, average.inFlight]).toEqual([2, 2]);
    // A request that is answered at once goes in and out; the host is not idle meanwhile.
    invokeUnary(sum, memoryRequest({ payload: new Uint8Array(0) }));
    expect([host.inFlight, sum.inFlight, idle]).toEqual([2, 0, 0]);
    slow[0]!.resolve({ operation: "average", result: 1 });
    await first;
    expect([host.inFlight, idle]).toEqual([1, 0]);
    slow[1]!.resolve({ operation: "average", result: 2 });
    await second;
    expect([host.inFlight, average.inFlight, idle]).toEqual([0, 0, 1]);
    // A failure gives back its place too.
    invokeUnary(sum, memoryRequest({ payload: new Uint8Array([0xff]) }));
    expect([host.inFlight, idle]).toEqual([0, 2]);
  });
});

describe("stats and sending", () => {
  test("every outcome is counted once, in the stats and the metrics, failures before the handler included", async () => {
    const metrics = recordedMetrics();
    const host = handBuiltHost({ serviceName: "Calc" });
    const endpoint = handBuiltEndpoint(
      Calc.method.average,
      async (request: AverageRequest, context: HandlerContext): Promise<Reply> => {
        if (request.values[0] === 404) {
          throw new RpcError("no such list", Code.NotFound);
        }
        if (request.values[0] === 500) {
          throw new Error("bug");
        }
        if (request.values[0] === 408) {
          await new Promise((resolve) => context.signal.addEventListener("abort", resolve, { once: true }));
        }
        return { operation: "average", result: mean(request.values) };
      },
      { host, metrics, maxInFlight: 1 },
    );
    const outcomes: [string, MemoryRequest][] = [
      ["ok", memoryRequest({ payload: binaryAverage([1]) })],
      ["invalid_argument", memoryRequest({ payload: new Uint8Array([0xff]) })],
      ["invalid_argument", memoryRequest({ payload: binaryAverage([1]), headers: { "Content-Type": "text/plain" } })],
      ["invalid_argument", memoryRequest({ payload: binaryAverage([1]), headers: { "Nats-Rpc-Timeout-Ms": "x" } })],
      ["not_found", memoryRequest({ payload: binaryAverage([404]) })],
      ["internal", memoryRequest({ payload: binaryAverage([500]) })],
      ["deadline_exceeded", memoryRequest({ payload: binaryAverage([408]), headers: { "Nats-Rpc-Timeout-Ms": "10" } })],
      ["unavailable", memoryRequest({ payload: binaryAverage([1]), sendResult: false })],
      ["resource_exhausted", memoryRequest({ payload: binaryAverage([1]), sendResult: new RpcError("reply too large", Code.ResourceExhausted) })],
    ];
    for (const [, request] of outcomes) {
      await invokeUnary(endpoint, request);
    }
    // One more over the limit, while a request holds the only place.
    const holding = invokeUnary(endpoint, memoryRequest({ payload: binaryAverage([408]), headers: { "Nats-Rpc-Timeout-Ms": "10" } }));
    invokeUnary(endpoint, memoryRequest({ payload: binaryAverage([1]) }));
    await holding;

    const expectedCodes = [...outcomes.map(([code]) => code), "resource_exhausted", "deadline_exceeded"];
    expect(metrics.finishedCodes).toEqual(expectedCodes);
    expect(metrics.startedCount).toBe(expectedCodes.length);
    expect(statsOf(endpoint)).toMatchObject({ requests: expectedCodes.length, errors: expectedCodes.length - 1 });
    expect(endpoint.stats.processingTimeNs).toBeGreaterThan(0);
    expect(host.inFlight).toBe(0);
  });

  test("a reply that send cannot deliver (false) counts as an unavailable error, not as a success", async () => {
    const syncEndpoint = handBuiltEndpoint(Calc.method.average, countingAverage().handler);
    const syncRequest = memoryRequest({ payload: binaryAverage([1]), sendResult: false });
    invokeUnary(syncEndpoint, syncRequest);
    expect(onlyReply(syncRequest).error).toBeUndefined();
    expect(statsOf(syncEndpoint)).toMatchObject({ requests: 1, errors: 1 });
    expect(syncEndpoint.stats.lastError).toMatch(/^unavailable: the reply could not be sent/);

    const asyncEndpoint = handBuiltEndpoint(Calc.method.average, async (): Promise<Reply> => ({ operation: "average", result: 1 }));
    await invokeUnary(asyncEndpoint, memoryRequest({ payload: binaryAverage([1]), sendResult: false }));
    expect(statsOf(asyncEndpoint)).toMatchObject({ requests: 1, errors: 1 });
    expect(asyncEndpoint.stats.lastError).toMatch(/^unavailable: /);
  });

  test("a reply that the transport replaced with an RpcError counts as that error", () => {
    const endpoint = handBuiltEndpoint(Calc.method.average, countingAverage().handler);
    const replaced = new RpcError("reply of 2000000 bytes exceeds the server's max_payload of 1048576 bytes", Code.ResourceExhausted);
    invokeUnary(endpoint, memoryRequest({ payload: binaryAverage([1]), sendResult: replaced }));
    expect(statsOf(endpoint)).toEqual({
      requests: 1,
      errors: 1,
      lastError: "resource_exhausted: reply of 2000000 bytes exceeds the server's max_payload of 1048576 bytes",
    });
  });

  test("a synchronous handler is answered synchronously: invokeUnary returns undefined with the reply sent", () => {
    const endpoint = handBuiltEndpoint(Calc.method.average, countingAverage().handler);
    const request = memoryRequest({ payload: binaryAverage([7]) });
    expect(invokeUnary(endpoint, request)).toBeUndefined();
    expect(fromBinary(CalcResponseSchema, onlyReply(request).payload).result).toBe(7);
    expect(endpoint.host.inFlight).toBe(0);
  });

  test("an async handler is answered once its promise settles: invokeUnary returns a promise of it", async () => {
    const pending = deferred<Reply>();
    const endpoint = handBuiltEndpoint(Calc.method.average, () => pending.promise);
    const request = memoryRequest({ payload: binaryAverage([7]) });
    const done = invokeUnary(endpoint, request);
    expect(done).toBeInstanceOf(Promise);
    expect(request.sent).toEqual([]);
    expect(endpoint.host.inFlight).toBe(1);
    pending.resolve({ operation: "average", result: 7 });
    await done;
    expect(fromBinary(CalcResponseSchema, onlyReply(request).payload) satisfies CalcResponse).toMatchObject({ result: 7 });
  });

  test("the handler's context reads the request's subject and headers from the request", () => {
    let subject = "";
    let user: string | null = null;
    const endpoint = handBuiltEndpoint(Calc.method.average, (_request: AverageRequest, context: HandlerContext): Reply => {
      subject = context.subject;
      user = context.requestHeader.get("x-user");
      return { operation: "average", result: 0 };
    });
    const request = memoryRequest({ payload: binaryAverage([0]), subject: "tenant.calc.Average", headers: { "X-User": "ada" } });
    invokeUnary(endpoint, request);
    expect([subject, user]).toEqual(["tenant.calc.Average", "ada"]);
    // A handler that does not look at the headers costs no copy of them.
    const quiet = memoryRequest({ payload: binaryAverage([0]) });
    invokeUnary(handBuiltEndpoint(Calc.method.average, countingAverage().handler), quiet);
    expect(quiet.headerReads).toBe(0);
  });
});
