// buf.validate.Violations read without protovalidate (the CLI, any client): field paths with list
// indexes and map keys, rules on the whole message, and details that are something else.
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, RpcError } from "nats-micro-runtime";
import { violationsOf, ViolationsSchema } from "nats-micro-runtime/validation";
import { readViolations } from "../../runtime/src/protocol/violations.js";

const violations = create(ViolationsSchema, {
  violations: [
    {
      field: { elements: [{ fieldName: "items", fieldNumber: 2, subscript: { case: "index", value: 3n } }, { fieldName: "name", fieldNumber: 1 }] },
      ruleId: "string.min_len",
      message: "value length must be at least 1 characters",
    },
    { field: { elements: [{ fieldName: "labels", subscript: { case: "stringKey", value: 'a"b' } }] }, ruleId: "string.max_len", message: "too long" },
    { field: { elements: [{ fieldName: "counts", subscript: { case: "intKey", value: -2n } }] }, ruleId: "int32.gt", message: "too small" },
    { field: { elements: [{ fieldName: "flags", subscript: { case: "boolKey", value: true } }] }, ruleId: "bool.const", message: "must be false" },
    { ruleId: "order.total", message: "discount must be at most 1000 per item" },
  ],
});

test("field paths, rule ids and messages, in order", () => {
  const error = new RpcError("invalid request", Code.InvalidArgument, { details: [{ type: "buf.validate.Violations", value: toBinary(ViolationsSchema, violations) }] });
  const expected = [
    { field: "items[3].name", ruleId: "string.min_len", message: "value length must be at least 1 characters" },
    { field: 'labels["a\\"b"]', ruleId: "string.max_len", message: "too long" },
    { field: "counts[-2]", ruleId: "int32.gt", message: "too small" },
    { field: "flags[true]", ruleId: "bool.const", message: "must be false" },
    { field: "", ruleId: "order.total", message: "discount must be at most 1000 per item" },
  ];
  expect(readViolations(error.details)).toEqual(expected);
  expect(violationsOf(error)).toEqual(expected);
});

test("details of other types, and violations that cannot be read, give none", () => {
  expect(readViolations([{ type: "other.Type", value: toBinary(ViolationsSchema, violations) }])).toEqual([]);
  expect(readViolations([{ type: "buf.validate.Violations", value: new Uint8Array([0x0a, 0xff]) }])).toEqual([]);
  expect(readViolations([])).toEqual([]);
});
