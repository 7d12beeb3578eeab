// The payload of an error reply with details (docs/protocol.md): google.rpc.Status in binary, the
// Connect protocol's error JSON in JSON; a payload that cannot be read gives no details.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { Code, RpcError } from "nats-micro-runtime";
import { ViolationsSchema } from "nats-micro-runtime/validation";
import { decodeErrorDetails, encodeErrorDetails } from "../../runtime/src/protocol/error-details.js";

const violations = create(ViolationsSchema, { violations: [{ ruleId: "string.min_len", message: "too short" }] });
const detail = { type: "buf.validate.Violations", value: toBinary(ViolationsSchema, violations) };

test("binary: a google.rpc.Status with the gRPC code number, the message and the details as Any", () => {
  const payload = encodeErrorDetails(Code.InvalidArgument, "invalid request", [detail], "binary");
  const reader = new BinaryReader(payload);
  const fields: [number, unknown][] = [];
  while (reader.pos < reader.len) {
    const [field] = reader.tag();
    fields.push([field, field === 1 ? reader.int32() : field === 2 ? reader.string() : fromBinary(AnySchema, reader.bytes())]);
  }
  expect(fields).toEqual([
    [1, 3],
    [2, "invalid request"],
    [3, expect.objectContaining({ typeUrl: "type.googleapis.com/buf.validate.Violations", value: detail.value })],
  ]);
  expect(decodeErrorDetails(payload, "binary")).toEqual([detail]);
});

test("json: code, message and details of type and base64 value, as the Connect protocol writes them", () => {
  const payload = encodeErrorDetails(Code.InvalidArgument, "invalid request", [detail], "json");
  const json = JSON.parse(new TextDecoder().decode(payload)) as { code: string; message: string; details: { type: string; value: string }[] };
  expect(json).toEqual({ code: "invalid_argument", message: "invalid request", details: [{ type: "buf.validate.Violations", value: expect.any(String) }] });
  expect(Buffer.from(json.details[0]!.value, "base64")).toEqual(Buffer.from(detail.value));
  expect(decodeErrorDetails(payload, "json")).toEqual([detail]);
});

test("an empty payload, or one that cannot be read, gives no details", () => {
  expect(decodeErrorDetails(new Uint8Array(0), "binary")).toEqual([]);
  expect(decodeErrorDetails(new Uint8Array([0xff, 0xff, 0xff]), "binary")).toEqual([]);
  expect(decodeErrorDetails(new TextEncoder().encode("{not json"), "json")).toEqual([]);
  expect(decodeErrorDetails(new TextEncoder().encode('{"details": 3}'), "json")).toEqual([]);
});

test("findDetails decodes the details of one type and skips the rest", () => {
  const error = new RpcError("invalid request", Code.InvalidArgument, {
    details: [{ type: "other.Type", value: new Uint8Array([1]) }, detail, { type: "buf.validate.Violations", value: new Uint8Array([0xff]) }],
  });
  expect(error.findDetails(ViolationsSchema).map((found) => found.violations[0]?.ruleId)).toEqual(["string.min_len"]);
  expect(new RpcError("plain").details).toEqual([]);
});
