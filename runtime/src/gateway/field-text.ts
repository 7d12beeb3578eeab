import { ScalarType, type DescField, type JsonValue } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";

/** The wrapper types of google/protobuf/wrappers.proto, by full name, and the scalar each wraps (its JSON form). */
export const wrapperScalars: ReadonlyMap<string, ScalarType> = new Map([
  ["google.protobuf.DoubleValue", ScalarType.DOUBLE],
  ["google.protobuf.FloatValue", ScalarType.FLOAT],
  ["google.protobuf.Int64Value", ScalarType.INT64],
  ["google.protobuf.UInt64Value", ScalarType.UINT64],
  ["google.protobuf.Int32Value", ScalarType.INT32],
  ["google.protobuf.UInt32Value", ScalarType.UINT32],
  ["google.protobuf.BoolValue", ScalarType.BOOL],
  ["google.protobuf.StringValue", ScalarType.STRING],
  ["google.protobuf.BytesValue", ScalarType.BYTES],
]);
// Message types whose JSON form is one string: with the wrappers, these alone may come from a path
// or a query parameter, as in grpc-gateway.
const stringMessages = new Set(["google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"]);

/** Whether a field's value can be written as text in a URL: a scalar, an enum, or a well-known type with a string form. */
export function isTextField(field: DescField): boolean {
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
      return true;
    case "message":
      return isTextMessage(field.message.typeName);
    case "list":
      return field.listKind !== "message" || isTextMessage(field.message.typeName);
    case "map":
      return false;
  }
}

function isTextMessage(typeName: string): boolean {
  return wrapperScalars.has(typeName) || stringMessages.has(typeName);
}

/**
 * The JSON value of a field's text from a URL path or query, for the protobuf JSON parser to
 * read: numbers and bytes stay strings (the JSON mapping accepts them so), booleans and enum
 * numbers become JSON. `name` is the parameter's name, for the error.
 */
export function jsonValueOfText(field: DescField, text: string, name: string): JsonValue {
  const scalar = scalarOf(field);
  if (scalar === ScalarType.BOOL) {
    return parseBool(text, name);
  }
  if (scalar === undefined && (field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum"))) {
    // An enum by name, or by number.
    return /^-?\d+$/.test(text) ? Number(text) : text;
  }
  return text;
}

function scalarOf(field: DescField): ScalarType | undefined {
  switch (field.fieldKind) {
    case "scalar":
      return field.scalar;
    case "list":
      return field.listKind === "scalar" ? field.scalar : field.listKind === "message" ? wrapperScalars.get(field.message.typeName) : undefined;
    case "message":
      return wrapperScalars.get(field.message.typeName);
    default:
      return undefined;
  }
}

// The spellings Go's strconv.ParseBool takes, which grpc-gateway accepts.
const boolTexts: ReadonlyMap<string, boolean> = new Map([
  ["true", true],
  ["True", true],
  ["TRUE", true],
  ["t", true],
  ["T", true],
  ["1", true],
  ["false", false],
  ["False", false],
  ["FALSE", false],
  ["f", false],
  ["F", false],
  ["0", false],
]);

function parseBool(text: string, name: string): boolean {
  const value = boolTexts.get(text);
  if (value === undefined) {
    throw new RpcError(`parameter "${name}": "${text}" is not a boolean (true or false)`, Code.InvalidArgument);
  }
  return value;
}
