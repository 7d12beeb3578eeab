import { getEventListeners } from "node:events";
// createHandlerContext: a handler unit-tested the way a user would, without NATS.
import { jest } from "@jest/globals";
import { create } from "@bufbuild/protobuf";
import { Code, createHandlerContext, RpcError, type HandlerContext } from "nats-micro-runtime";
import { calcHandlers } from "../../example/src/calc-handlers.js";
import type { CalcHandlers } from "../../example/src/gen/calc/v1/calc_nats.js";
import { AverageRequestSchema, Calc, SumRequestSchema, type SumRequest } from "../../example/src/gen/calc/v1/calc_pb.js";
import { Ledger } from "../gen/testing/options/v1/ledger_pb.js";

afterEach(() => {
  jest.useRealTimers();
});

/**
 * A handler as a user writes one around the example's: it reads a request header, sets reply
 * headers, and waits (cancellably) for as long as a header asks before it answers.
 */
const auditedSum = (async (request: SumRequest, context: HandlerContext) => {
  const user = context.requestHeader.get("x-user");
  if (user === null) {
    throw new RpcError("x-user header missing", Code.Unauthenticated);
  }
  const delayMs = Number(context.requestHeader.get("x-delay-ms") ?? "0");
  if (delayMs > 0) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, delayMs);
      context.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(context.signal.reason);
      }, { once: true });
    });
  }
  const reply = await calcHandlers.sum(request, context);
  context.responseHeader.set("x-served-for", user);
  context.responseHeader.append("x-values", String(request.values.length));
  return reply;
}) satisfies CalcHandlers["sum"];

test("the example's handlers run with a context made without NATS", async () => {
  const context = createHandlerContext({ method: Calc.method.average });
  const reply = await calcHandlers.average(create(AverageRequestSchema, { values: [1, 2, 4.5] }), context);
  expect(reply).toEqual({ operation: "average", result: 2.5 });
  // An empty list is refused by AverageRequest's validation rule before the handler (calc.test.ts).
});

test("request headers reach the handler, with names in any case, from a record, a list of pairs or Headers", async () => {
  const fromRecord = createHandlerContext({ method: Calc.method.sum, requestHeader: { "X-User": "ada" } });
  expect(fromRecord.requestHeader.get("x-user")).toBe("ada");
  expect(fromRecord.requestHeader.get("X-USER")).toBe("ada");
  const fromPairs = createHandlerContext({ method: Calc.method.sum, requestHeader: [["x-tag", "a"], ["x-tag", "b"]] });
  expect(fromPairs.requestHeader.get("x-tag")).toBe("a, b");
  const fromHeaders = createHandlerContext({ method: Calc.method.sum, requestHeader: new Headers({ "x-user": "grace" }) });
  expect(fromHeaders.requestHeader.get("x-user")).toBe("grace");

  const reply = await auditedSum(create(SumRequestSchema, { values: [1, 2] }), fromRecord);
  expect(reply).toEqual({ operation: "sum", result: 3 });

  // Without headers: none, and the handler says so with its own error.
  const bare = createHandlerContext({ method: Calc.method.sum });
  expect([...bare.requestHeader.keys()]).toEqual([]);
  await expect(auditedSum(create(SumRequestSchema, { values: [1] }), bare)).rejects.toMatchObject({ code: Code.Unauthenticated });
});

test("the reply headers the handler sets can be read from the context afterwards", async () => {
  const context = createHandlerContext({ method: Calc.method.sum, requestHeader: { "x-user": "ada" } });
  expect([...context.responseHeader.keys()]).toEqual([]);
  await auditedSum(create(SumRequestSchema, { values: [1, 2, 3] }), context);
  expect(Object.fromEntries(context.responseHeader)).toEqual({ "x-served-for": "ada", "x-values": "3" });
  expect(context.responseHeader).toBe(context.responseHeader);
});

test("timeoutMs counts down from the given timeout to 0, and is undefined without one", () => {
  jest.useFakeTimers({ now: new Date("2026-11-28T00:00:00Z") });
  const context = createHandlerContext({ method: Calc.method.sum, timeoutMs: 1_000 });
  expect(context.timeoutMs()).toBe(1_000);
  jest.advanceTimersByTime(250);
  expect(context.timeoutMs()).toBe(750);
  jest.advanceTimersByTime(749);
  expect(context.timeoutMs()).toBe(1);
  jest.advanceTimersByTime(5_000);
  expect(context.timeoutMs()).toBe(0);

  expect(createHandlerContext({ method: Calc.method.sum }).timeoutMs()).toBeUndefined();
});

test("the signal follows the given AbortSignal: the handler stops with its reason", async () => {
  const controller = new AbortController();
  const context = createHandlerContext({ method: Calc.method.sum, requestHeader: { "x-user": "ada", "x-delay-ms": "60000" }, signal: controller.signal });
  expect(context.signal.aborted).toBe(false);
  const reply = auditedSum(create(SumRequestSchema, { values: [1] }), context);
  const reason = new RpcError("deadline of 10 ms exceeded", Code.DeadlineExceeded);
  controller.abort(reason);
  expect(context.signal.aborted).toBe(true);
  expect(context.signal.reason).toBe(reason);
  await expect(reply).rejects.toBe(reason);
  // Nothing was answered, so no reply headers were set.
  expect([...context.responseHeader.keys()]).toEqual([]);
});

test("the signal follows a given AbortSignal that aborts before the handler looks at the context's", () => {
  const controller = new AbortController();
  const context = createHandlerContext({ method: Calc.method.sum, signal: controller.signal });
  controller.abort("host stopping");
  expect(context.signal.aborted).toBe(true);
  expect(context.signal.reason).toBe("host stopping");
});

test("an AbortSignal that has already aborted gives an aborted signal, with its reason", async () => {
  const reason = new RpcError("deadline of 0 ms exceeded", Code.DeadlineExceeded);
  const context = createHandlerContext({ method: Calc.method.sum, requestHeader: { "x-user": "ada", "x-delay-ms": "60000" }, signal: AbortSignal.abort(reason) });
  expect(context.signal.aborted).toBe(true);
  expect(context.signal.reason).toBe(reason);

  // AbortSignal.timeout() stands in for a caller's deadline.
  const timed = createHandlerContext({ method: Calc.method.sum, requestHeader: { "x-user": "ada", "x-delay-ms": "60000" }, signal: AbortSignal.timeout(20) });
  const error = await auditedSum(create(SumRequestSchema, { values: [1] }), timed).catch((failure: unknown) => failure);
  expect((error as Error).name).toBe("TimeoutError");
});

test("without a signal, the context's signal never aborts", async () => {
  const context = createHandlerContext({ method: Calc.method.sum, requestHeader: { "x-user": "ada", "x-delay-ms": "30" } });
  expect(await auditedSum(create(SumRequestSchema, { values: [2, 2] }), context)).toEqual({ operation: "sum", result: 4 });
  expect(context.signal.aborted).toBe(false);
});

test("the subject is the method's default subject unless given, and the encoding binary unless given", () => {
  const context = createHandlerContext({ method: Calc.method.average });
  expect(context.subject).toBe("calc.v1.Calc.Average");
  expect(context.encoding).toBe("binary");
  const given = createHandlerContext({ method: Calc.method.average, subject: "tenant-a.calc.Average", encoding: "json" });
  expect(given.subject).toBe("tenant-a.calc.Average");
  expect(given.encoding).toBe("json");
});

test("the default subject is the one the host serves the method on, proto options included", () => {
  // Ledger's subject_prefix is "books"; Post's subject option is "post"; Balance has a full subject.
  expect(createHandlerContext({ method: Ledger.method.post }).subject).toBe("books.post");
  expect(createHandlerContext({ method: Ledger.method.balance }).subject).toBe("finance.balance");
  expect(createHandlerContext({ method: Ledger.method.audit }).subject).toBe("books.Audit");
});

test("the service and method are the method's own: the service is its parent", () => {
  const context = createHandlerContext({ method: Calc.method.sum });
  expect(context.method).toBe(Calc.method.sum);
  expect(context.service).toBe(Calc);
  expect(context.service.typeName).toBe("calc.v1.Calc");
  expect(createHandlerContext({ method: Ledger.method.post }).service).toBe(Ledger);
});

test("a context whose signal is never read leaves no listener on the given AbortSignal", () => {
  const controller = new AbortController();
  const context = createHandlerContext({ method: Calc.method.sum, signal: controller.signal });
  expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  expect(context.signal.aborted).toBe(false);
  expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
});
