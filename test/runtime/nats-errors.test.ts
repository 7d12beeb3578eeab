import { expect, test } from "@jest/globals";
import { ClosedConnectionError, NoRespondersError, RequestError, TimeoutError } from "@nats-io/nats-core";
import { Code } from "../../runtime/src/protocol/code.js";
import { isNatsError, isNoResponders, requestError } from "../../runtime/src/transport/nats/nats-errors.js";

// Stand-ins for the classes of a second copy of nats.js in node_modules: same names, other classes.
const secondCopy = {
  TimeoutError: class TimeoutError extends Error {},
  NoRespondersError: class NoRespondersError extends Error {
    override name = "NoResponders";
  },
};

test("errors are told apart by class, also when they come from a second copy of nats.js", () => {
  expect(isNatsError(new TimeoutError(), TimeoutError)).toBe(true);
  expect(isNatsError(new secondCopy.TimeoutError(), TimeoutError)).toBe(true);
  // nats.js names these errors "NoResponders", not after their class.
  expect(isNatsError(new secondCopy.NoRespondersError(), NoRespondersError)).toBe(true);
  expect(isNatsError(new Error("timeout"), TimeoutError)).toBe(false);
  expect(isNatsError(new ClosedConnectionError(), TimeoutError)).toBe(false);
  expect(isNatsError("TimeoutError", TimeoutError)).toBe(false);
});

test("no responders is seen directly and as the cause of a RequestError", () => {
  expect(isNoResponders(new NoRespondersError("a.b"))).toBe(true);
  expect(isNoResponders(new RequestError("no responders", { cause: new NoRespondersError("a.b") }))).toBe(true);
  expect(isNoResponders(new RequestError("other", { cause: new TimeoutError() }))).toBe(false);
});

test("request errors map onto codes by class", () => {
  // The mapping asks the connection only whether it is closed.
  const nc = { isClosed: () => false } as Parameters<typeof requestError>[0];
  expect(requestError(nc, new TimeoutError(), "a.b", 100).code).toBe(Code.DeadlineExceeded);
  expect(requestError(nc, new NoRespondersError("a.b"), "a.b", 100).code).toBe(Code.Unavailable);
  expect(requestError(nc, new ClosedConnectionError(), "a.b", 100).code).toBe(Code.Unavailable);
  expect(requestError(nc, new Error("something else"), "a.b", 100).code).toBe(Code.Unknown);
  const closed = { isClosed: () => true } as Parameters<typeof requestError>[0];
  expect(requestError(closed, new TimeoutError(), "a.b", 100).code).toBe(Code.Unavailable);
});
