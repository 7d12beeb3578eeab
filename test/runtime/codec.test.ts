import { create, toBinary } from "@bufbuild/protobuf";
import { EmptySchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { AverageRequestSchema, CalcResponseSchema } from "../../example/src/gen/calc/v1/calc_pb.js";
import { EchoResponseSchema } from "../gen/testing/v1/probe_pb.js";
import { Code } from "../../runtime/src/protocol/code.js";
import { decodeMessage, encodeMessage, encodingFromContentType, jsonContentType } from "../../runtime/src/protocol/codec.js";
import { RpcError } from "../../runtime/src/protocol/rpc-error.js";

const bytes = (...values: number[]) => Uint8Array.from(values);
const utf8 = (text: string) => new TextEncoder().encode(text);

/** Runs `action` and returns the `RpcError` it throws; fails the test when it throws nothing else. */
function rpcErrorOf(action: () => unknown): RpcError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(RpcError);
    return error as RpcError;
  }
  throw new Error("expected an RpcError, but nothing was thrown");
}

describe("encodingFromContentType", () => {
  test("no Content-Type (or an empty one) means protobuf binary", () => {
    expect(encodingFromContentType("")).toBe("binary");
    expect(encodingFromContentType("   ")).toBe("binary");
  });

  test("application/json, with or without parameters, in any case, means JSON", () => {
    expect(encodingFromContentType(jsonContentType)).toBe("json");
    expect(encodingFromContentType("application/json; charset=utf-8")).toBe("json");
    expect(encodingFromContentType("application/json;charset=UTF-8")).toBe("json");
    expect(encodingFromContentType("  Application/JSON ")).toBe("json");
  });

  test("the protobuf media types mean binary", () => {
    for (const contentType of ["application/protobuf", "application/proto", "application/x-protobuf", "APPLICATION/X-PROTOBUF", "application/protobuf; proto=calc.v1.AverageRequest"]) {
      expect([contentType, encodingFromContentType(contentType)]).toEqual([contentType, "binary"]);
    }
  });

  test("any other media type is invalid_argument, naming it and the supported ones", () => {
    for (const contentType of ["text/plain", "application/grpc", "application/json+proto", "application/connect+json", "json", "; charset=utf-8"]) {
      const error = rpcErrorOf(() => encodingFromContentType(contentType));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain(`"${contentType}"`);
      expect(error.rawMessage).toContain("application/json");
      expect(error.rawMessage).toContain("application/protobuf");
    }
  });
});

describe("encodeMessage and decodeMessage", () => {
  const request = create(AverageRequestSchema, { values: [1, 2, 4.5] });
  const response = create(CalcResponseSchema, { operation: "average", result: 2.5 });

  test("protobuf binary is the standard wire format (packed repeated float, little-endian)", () => {
    expect(encodeMessage(AverageRequestSchema, request, "binary")).toEqual(
      bytes(0x0a, 0x0c, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x90, 0x40),
    );
    expect(encodeMessage(CalcResponseSchema, response, "binary")).toEqual(
      bytes(0x0a, 0x07, ...utf8("average"), 0x15, 0x00, 0x00, 0x20, 0x40),
    );
  });

  test("JSON is the canonical protobuf JSON mapping: camelCase names, default values left out", () => {
    expect(new TextDecoder().decode(encodeMessage(CalcResponseSchema, response, "json"))).toBe('{"operation":"average","result":2.5}');
    expect(new TextDecoder().decode(encodeMessage(CalcResponseSchema, create(CalcResponseSchema), "json"))).toBe("{}");
    const echo = create(EchoResponseSchema, { text: "hi", timeoutMs: 1500n, requestHeaders: { a: "b" } });
    expect(JSON.parse(new TextDecoder().decode(encodeMessage(EchoResponseSchema, echo, "json")))).toEqual({
      text: "hi",
      requestHeaders: { a: "b" },
      timeoutMs: "1500",
    });
  });

  test.each(["binary", "json"] as const)("round-trips messages in %s", (encoding) => {
    expect(decodeMessage(AverageRequestSchema, encodeMessage(AverageRequestSchema, request, encoding), encoding).values).toEqual([1, 2, 4.5]);
    const decoded = decodeMessage(CalcResponseSchema, encodeMessage(CalcResponseSchema, response, encoding), encoding);
    expect(decoded.operation).toBe("average");
    expect(decoded.result).toBe(2.5);
    const now = create(TimestampSchema, { seconds: 1_700_000_000n, nanos: 5_000_000 });
    expect(decodeMessage(TimestampSchema, encodeMessage(TimestampSchema, now, encoding), encoding)).toMatchObject({ seconds: 1_700_000_000n, nanos: 5_000_000 });
    const echo = create(EchoResponseSchema, { text: "ünïcode ✓", requestHeaders: { "content-type": "x" }, timeoutMs: 9n });
    expect(decodeMessage(EchoResponseSchema, encodeMessage(EchoResponseSchema, echo, encoding), encoding)).toMatchObject({
      text: "ünïcode ✓",
      requestHeaders: { "content-type": "x" },
      timeoutMs: 9n,
    });
  });

  test("an empty binary payload is the message with default values; JSON needs {}", () => {
    expect(decodeMessage(AverageRequestSchema, new Uint8Array(0), "binary").values).toEqual([]);
    expect(decodeMessage(EmptySchema, utf8("{}"), "json").$typeName).toBe("google.protobuf.Empty");
    expect(rpcErrorOf(() => decodeMessage(EmptySchema, new Uint8Array(0), "json")).code).toBe(Code.InvalidArgument);
  });

  test("binary accepts fields it does not know, as protobuf does for newer senders", () => {
    // values = [1], then field 9 (varint 150), which AverageRequest does not have.
    const decoded = decodeMessage(AverageRequestSchema, bytes(0x0a, 0x04, 0x00, 0x00, 0x80, 0x3f, 0x48, 0x96, 0x01), "binary");
    expect(decoded.values).toEqual([1]);
  });

  test("JSON accepts proto field names as well as JSON names", () => {
    expect(decodeMessage(EchoResponseSchema, utf8('{"timeout_ms":"7","request_headers":{"k":"v"}}'), "json")).toMatchObject({
      timeoutMs: 7n,
      requestHeaders: { k: "v" },
    });
  });

  describe("a payload that cannot be decoded is invalid_argument naming the type", () => {
    const cases: [string, Uint8Array, "binary" | "json", RegExp][] = [
      ["garbage binary", bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "binary", /protobuf binary/],
      ["an invalid wire type", bytes(0x0f), "binary", /protobuf binary/],
      ["truncated binary", bytes(0x0a, 0x0c, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00), "binary", /protobuf binary/],
      ["malformed JSON", utf8('{"values": [1,'), "json", /JSON/],
      ["an unknown JSON field", utf8('{"values":[1],"valuez":[2]}'), "json", /valuez/],
      ["a JSON field of the wrong type", utf8('{"values":"many"}'), "json", /JSON/],
      ["JSON that is not UTF-8", bytes(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d), "json", /JSON/],
      ["binary sent as JSON", bytes(0x0a, 0x04, 0x00, 0x00, 0x80, 0x3f), "json", /JSON/],
    ];
    test.each(cases)("%s", (_, payload, encoding, detail) => {
      const error = rpcErrorOf(() => decodeMessage(AverageRequestSchema, payload, encoding));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(/^cannot decode calc\.v1\.AverageRequest from /);
      expect(error.rawMessage).toMatch(detail);
      expect(error.cause).toBeDefined();
    });
  });

  test("a decode error carries no stack trace in its message", () => {
    const error = rpcErrorOf(() => decodeMessage(CalcResponseSchema, toBinary(AverageRequestSchema, request).subarray(0, 3), "binary"));
    expect(error.rawMessage).not.toMatch(/\n|\bat .*\.(?:js|ts):\d+/);
  });
});
