// untilDeadline: one timer per handler, cleared whichever way the handler ends, so that a busy host
// leaves no timer behind per request. Fake timers count exactly the timers it arms (a process's
// real timers include those of every connection and of the test runner).
import { jest } from "@jest/globals";
import { Code } from "../../runtime/src/protocol/code.js";
import { untilDeadline } from "../../runtime/src/host/handler-deadline.js";
import { RpcError } from "../../runtime/src/protocol/rpc-error.js";

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

test("a handler that finishes first resolves with its reply and clears the timer", async () => {
  const expired: RpcError[] = [];
  const pending = untilDeadline(Promise.resolve("reply"), 60_000, (error) => expired.push(error));
  expect(jest.getTimerCount()).toBe(1);
  await expect(pending).resolves.toBe("reply");
  expect(jest.getTimerCount()).toBe(0);
  expect(expired).toEqual([]);
});

test("a handler that fails first rejects with its error and clears the timer", async () => {
  const failure = new RpcError("no", Code.NotFound);
  await expect(untilDeadline(Promise.reject(failure), 60_000, () => {})).rejects.toBe(failure);
  expect(jest.getTimerCount()).toBe(0);
});

test("a handler that never finishes is given up at its deadline with deadline_exceeded, and onExpire hears of it first", async () => {
  const expired: RpcError[] = [];
  const pending = untilDeadline(new Promise<never>(() => {}), 200, (reason) => expired.push(reason)).catch((reason: unknown) => reason);
  jest.advanceTimersByTime(199);
  expect(expired).toEqual([]);
  jest.advanceTimersByTime(1);
  const error = await pending;
  expect(error).toBeInstanceOf(RpcError);
  expect(error).toMatchObject({ code: Code.DeadlineExceeded, rawMessage: "deadline of 200 ms exceeded" });
  expect(expired).toEqual([error]);
  expect(jest.getTimerCount()).toBe(0);
});
