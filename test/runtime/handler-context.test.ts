import { headers, type MsgHdrs } from "@nats-io/nats-core";
import { Calc } from "../../example/src/gen/calc/v1/calc_pb.js";
import { Code } from "../../runtime/src/protocol/code.js";
import type { CallOrigin } from "../../runtime/src/protocol/unary-exchange.js";
import { createServerCallContext } from "../../runtime/src/service/handler-context.js";
import { RpcError } from "../../runtime/src/protocol/rpc-error.js";
import { toFetchHeaders } from "../../runtime/src/transport/nats/message-headers.js";

// Where a received NATS message came from, as the host's NATS request shows it; nothing is sent anywhere.
function receivedMessage(subject: string, requestHeaders?: MsgHdrs): CallOrigin {
  return { subject, headers: () => toFetchHeaders(requestHeaders) };
}

const contextFor = (origin: CallOrigin, deadline?: number) => createServerCallContext(Calc.method.average, origin, "json", deadline);

test("tells the handler what it serves", () => {
  const context = contextFor(receivedMessage("calc.v1.Calc.Average"));
  expect(context.service).toBe(Calc);
  expect(context.method).toBe(Calc.method.average);
  expect(context.subject).toBe("calc.v1.Calc.Average");
  expect(context.encoding).toBe("json");
});

test("request headers are fetch Headers with lower-case names and every value", () => {
  const sent = headers();
  sent.set("Nats-Rpc-Timeout-Ms", "5000");
  sent.append("X-Tag", "a");
  sent.append("X-Tag", "b");
  sent.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  const context = contextFor(receivedMessage("s", sent));
  expect([...context.requestHeader.entries()]).toEqual([
    ["nats-rpc-timeout-ms", "5000"],
    ["traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"],
    ["x-tag", "a, b"],
  ]);
  expect(context.requestHeader).toBe(context.requestHeader);
});

test("a request without headers has empty request headers", () => {
  expect([...contextFor(receivedMessage("s")).requestHeader.keys()]).toEqual([]);
});

test("reply headers exist only once the handler touches them", () => {
  const context = contextFor(receivedMessage("s"));
  expect(context.responseHeaderIfUsed()).toBeUndefined();
  context.responseHeader.set("x-rows", "3");
  expect(context.responseHeaderIfUsed()?.get("x-rows")).toBe("3");
  expect(context.responseHeaderIfUsed()).toBe(context.responseHeader);
});

test("the signal aborts with the host's reason, also when the handler asks for it afterwards", () => {
  const early = contextFor(receivedMessage("s"));
  const reason = new RpcError("deadline of 5 ms exceeded", Code.DeadlineExceeded);
  early.abort(reason);
  expect(early.signal.aborted).toBe(true);
  expect(early.signal.reason).toBe(reason);

  const late = contextFor(receivedMessage("s"));
  const { signal } = late;
  expect(signal.aborted).toBe(false);
  let seen: unknown;
  signal.addEventListener("abort", () => (seen = signal.reason));
  late.abort(reason);
  expect(seen).toBe(reason);
});

test("only the first abort counts", () => {
  const context = contextFor(receivedMessage("s"));
  const first = new Error("first");
  context.abort(first);
  context.abort(new Error("second"));
  expect(context.signal.reason).toBe(first);
});

test("timeoutMs is the time left before the deadline, never negative, or undefined without one", () => {
  expect(contextFor(receivedMessage("s")).timeoutMs()).toBeUndefined();
  const left = contextFor(receivedMessage("s"), Date.now() + 1_000).timeoutMs();
  expect(left).toBeGreaterThan(900);
  expect(left).toBeLessThanOrEqual(1_000);
  expect(contextFor(receivedMessage("s"), Date.now() - 50).timeoutMs()).toBe(0);
});
