import { Code, isCode } from "../../runtime/src/protocol/code.js";

test("the closed set has the sixteen Connect codes as snake_case wire values", () => {
  expect(Object.values(Code).sort()).toEqual(
    [
      "aborted",
      "already_exists",
      "canceled",
      "data_loss",
      "deadline_exceeded",
      "failed_precondition",
      "internal",
      "invalid_argument",
      "not_found",
      "out_of_range",
      "permission_denied",
      "resource_exhausted",
      "unauthenticated",
      "unavailable",
      "unimplemented",
      "unknown",
    ].sort(),
  );
});

test("isCode accepts every code and nothing else", () => {
  for (const code of Object.values(Code)) {
    expect(isCode(code)).toBe(true);
  }
  for (const value of ["", "INVALID_ARGUMENT", "InvalidArgument", "ok", "400", " not_found", "toString", "constructor"]) {
    expect(isCode(value)).toBe(false);
  }
});
