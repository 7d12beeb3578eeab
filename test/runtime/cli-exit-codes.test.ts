// The exit codes of the generated command line: one per error class, as docs/cli.md lists them.
import { Code, exitCodeFromCode, RpcError } from "nats-micro-runtime";
import { ExitCode, exitCodeOf } from "nats-micro-runtime/cli";

test("each RPC code has its own exit code, 64 + its gRPC number, clear of 0, 1, 2 and 128 + n", () => {
  const codes = Object.values(Code);
  const exitCodes = codes.map(exitCodeFromCode);
  expect(new Set(exitCodes).size).toBe(codes.length);
  expect(Math.min(...exitCodes)).toBe(65);
  expect(Math.max(...exitCodes)).toBe(80);
  expect(exitCodeFromCode(Code.InvalidArgument)).toBe(67);
  expect(exitCodeFromCode(Code.Unavailable)).toBe(78);
  expect(exitCodeFromCode(Code.Unauthenticated)).toBe(80);
});

test("an RpcError exits with its code's exit code, anything else with the generic failure", () => {
  expect(exitCodeOf(new RpcError("gone", Code.NotFound))).toBe(69);
  expect(exitCodeOf(new Error("bug"))).toBe(ExitCode.Failure);
  expect(exitCodeOf("thrown string")).toBe(ExitCode.Failure);
  expect([ExitCode.Ok, ExitCode.Failure, ExitCode.Usage]).toEqual([0, 1, 2]);
});
