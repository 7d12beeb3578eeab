import { BinaryReader } from "@bufbuild/protobuf/wire";
import type { ErrorDetail } from "./rpc-error.js";

/** The full name of the detail that carries the broken validation rules. */
export const violationsTypeName = "buf.validate.Violations";

/** One broken validation rule of an error's `buf.validate.Violations` details. */
export interface FieldViolation {
  /** The path of the field, such as `items[0].name` or `labels["a"]`; empty for a rule on the whole message. */
  readonly field: string;
  /** The rule's id, such as `string.min_len`, or a CEL rule's own id. */
  readonly ruleId: string;
  readonly message: string;
}

/**
 * The broken rules in an error's details, one per field and rule, in order: read from the binary
 * `buf.validate.Violations` without protovalidate, so that any client (and the CLI) can show them.
 * Details of other types, and any that cannot be read, give none.
 *
 * @example
 * for (const { field, ruleId, message } of readViolations(error.details)) console.log(`${field}: ${message} [${ruleId}]`);
 */
export function readViolations(details: readonly ErrorDetail[]): FieldViolation[] {
  const found: FieldViolation[] = [];
  for (const detail of details) {
    if (detail.type !== violationsTypeName) {
      continue;
    }
    try {
      found.push(...violationsFrom(new BinaryReader(detail.value)));
    } catch {
      // Not a buf.validate.Violations: left out.
    }
  }
  return found;
}

// buf.validate.Violations { repeated Violation violations = 1; }
function violationsFrom(reader: BinaryReader): FieldViolation[] {
  const found: FieldViolation[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === 2) {
      found.push(violationFrom(new BinaryReader(reader.bytes())));
    } else {
      reader.skip(wireType);
    }
  }
  return found;
}

// buf.validate.Violation { FieldPath field = 5; string rule_id = 2; string message = 3; ... }
function violationFrom(reader: BinaryReader): FieldViolation {
  let path = "";
  let ruleId = "";
  let message = "";
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 5 && wireType === 2) {
      path = fieldPathFrom(new BinaryReader(reader.bytes()));
    } else if (field === 2 && wireType === 2) {
      ruleId = reader.string();
    } else if (field === 3 && wireType === 2) {
      message = reader.string();
    } else {
      reader.skip(wireType);
    }
  }
  return { field: path, ruleId, message };
}

// buf.validate.FieldPath { repeated FieldPathElement elements = 1; }
function fieldPathFrom(reader: BinaryReader): string {
  let text = "";
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === 2) {
      const element = elementFrom(new BinaryReader(reader.bytes()));
      text += (text === "" ? "" : ".") + element;
    } else {
      reader.skip(wireType);
    }
  }
  return text;
}

// buf.validate.FieldPathElement: field_name = 2, and the subscript: index = 6, bool_key = 7,
// int_key = 8, uint_key = 9, string_key = 10.
function elementFrom(reader: BinaryReader): string {
  let name = "";
  let subscript = "";
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 2 && wireType === 2) {
      name = reader.string();
    } else if ((field === 6 || field === 9) && wireType === 0) {
      subscript = `[${String(reader.uint64())}]`;
    } else if (field === 7 && wireType === 0) {
      subscript = `[${String(reader.bool())}]`;
    } else if (field === 8 && wireType === 0) {
      subscript = `[${String(reader.int64())}]`;
    } else if (field === 10 && wireType === 2) {
      subscript = `[${JSON.stringify(reader.string())}]`;
    } else {
      reader.skip(wireType);
    }
  }
  return name + subscript;
}
