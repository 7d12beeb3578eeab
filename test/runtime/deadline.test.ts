import { Code } from "../../runtime/src/protocol/code.js";
import { maxTimeoutMs, parseTimeoutHeader } from "../../runtime/src/protocol/timeout-header.js";
import { RpcError } from "../../runtime/src/protocol/rpc-error.js";

test("the longest timeout is the longest delay a Node.js timer can wait", () => {
  expect(maxTimeoutMs).toBe(2 ** 31 - 1);
});

test("an absent or blank header means no deadline", () => {
  expect(parseTimeoutHeader("")).toBeUndefined();
  expect(parseTimeoutHeader("   ")).toBeUndefined();
});

test("whole milliseconds are read as they are", () => {
  expect(parseTimeoutHeader("5000")).toBe(5000);
  expect(parseTimeoutHeader("1")).toBe(1);
  expect(parseTimeoutHeader("0")).toBe(0);
  expect(parseTimeoutHeader(" 250 ")).toBe(250);
  expect(parseTimeoutHeader("007")).toBe(7);
});

test("a timeout beyond the longest one is shortened to it", () => {
  expect(parseTimeoutHeader(String(maxTimeoutMs))).toBe(maxTimeoutMs);
  expect(parseTimeoutHeader(String(maxTimeoutMs + 1))).toBe(maxTimeoutMs);
  expect(parseTimeoutHeader("9999999999999999")).toBe(maxTimeoutMs);
});

test.each(["abc", "-5", "1.5", "1e3", "+5", "0x10", "5 000", "5000ms", "Infinity", "NaN", "99999999999999999", "١٢٣"])(
  "%j is invalid_argument",
  (value) => {
    let thrown: unknown;
    try {
      parseTimeoutHeader(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RpcError);
    expect((thrown as RpcError).code).toBe(Code.InvalidArgument);
    expect((thrown as RpcError).rawMessage).toBe(`invalid timeout header "${value}": expected whole milliseconds, such as 5000`);
  },
);
