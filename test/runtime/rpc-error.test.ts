import { Code } from "../../runtime/src/protocol/code.js";
import { RpcError } from "../../runtime/src/protocol/rpc-error.js";

describe("RpcError", () => {
  test("carries its code, its message with and without the code, and an empty set of headers", () => {
    const error = new RpcError("values must not be empty", Code.InvalidArgument);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("RpcError");
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toBe("[invalid_argument] values must not be empty");
    expect(error.rawMessage).toBe("values must not be empty");
    expect([...error.metadata.keys()]).toEqual([]);
    expect(error.cause).toBeUndefined();
  });

  test("is unknown unless told otherwise", () => {
    expect(new RpcError("what happened?").code).toBe(Code.Unknown);
  });

  test("keeps metadata and cause", () => {
    const cause = new Error("socket closed");
    const error = new RpcError("gone", Code.Unavailable, { metadata: { "x-request-id": "r-1" }, cause });
    expect(error.metadata.get("x-request-id")).toBe("r-1");
    expect(error.cause).toBe(cause);
  });
});

describe("RpcError.from", () => {
  test("returns an RpcError as it is, whatever the fallback", () => {
    const original = new RpcError("no such item", Code.NotFound);
    expect(RpcError.from(original, Code.Internal)).toBe(original);
  });

  test("wraps an Error under the fallback code, with its message and without its stack", () => {
    const plain = new TypeError("cannot read properties of undefined");
    const error = RpcError.from(plain, Code.Internal);
    expect(error).toBeInstanceOf(RpcError);
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe("cannot read properties of undefined");
    expect(error.message).toBe("[internal] cannot read properties of undefined");
    expect(plain.stack).toContain("\n");
    expect(error.rawMessage).not.toContain("\n");
    expect(error.rawMessage).not.toContain("TypeError");
    expect(error.cause).toBe(plain);
  });

  test("is unknown by default", () => {
    expect(RpcError.from(new Error("boom")).code).toBe(Code.Unknown);
  });

  test("turns anything else thrown into a message", () => {
    expect(RpcError.from("just a string", Code.Aborted)).toMatchObject({ code: Code.Aborted, rawMessage: "just a string" });
    expect(RpcError.from(42).rawMessage).toBe("42");
    expect(RpcError.from(undefined).rawMessage).toBe("undefined");
    expect(RpcError.from(null).cause).toBeNull();
  });
});
