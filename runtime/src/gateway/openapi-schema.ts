// JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of protobuf messages and enums in the proto3
// JSON mapping: what the gateway reads and writes, with the well-known types in their JSON forms.
import { ScalarType, type DescEnum, type DescEnumValue, type DescField, type DescMessage, type DescMethod, type DescService, type JsonObject } from "@bufbuild/protobuf";
import { wrapperScalars } from "./field-text.js";

/** An element of a proto file that can carry a description. */
export type DescribedElement = DescService | DescMethod | DescMessage | DescField | DescEnum | DescEnumValue;

/** The description of an element (its proto comment, say), or undefined for none. */
export type DescribeElement = (element: DescribedElement) => string | undefined;

/** How schemas are written. */
export interface SchemaSetOptions {
  /** Property names: lowerCamelCase JSON names (what the gateway writes by default) or proto names. */
  readonly jsonNames: "json" | "proto";
  readonly description: DescribeElement;
}

/**
 * The named schemas of a document, collected as they are referred to, so that the document holds
 * every message and enum it uses and nothing else.
 */
export interface SchemaSet {
  /** The schema of a field's value as a property of its message. */
  fieldSchema(field: DescField): JsonObject;
  /**
   * The schema of a field's value as text in a URL (a path or query parameter): wrappers are their
   * plain scalar, lists are arrays of the element's text schema.
   */
  textSchema(field: DescField): JsonObject;
  /** The description of a field: its own, and which oneof it is part of. */
  fieldDescription(field: DescField): string | undefined;
  /** A `$ref` to the schema of a message. */
  messageRef(message: DescMessage): JsonObject;
  /** A `$ref` to the schema of a well-known type with a JSON form of its own, such as `google.protobuf.Any`. */
  wellKnownRef(typeName: string): JsonObject;
  /** Adds a schema under a name of its own (the error bodies), and returns a `$ref` to it. */
  namedRef(name: string, schema: () => JsonObject): JsonObject;
  /** The property name of a field, as {@link SchemaSetOptions.jsonNames} says. */
  propertyName(field: DescField): string;
  /** Every schema referred to so far, keys sorted. */
  schemas(): Record<string, JsonObject>;
}

/** Where `$ref`s point: the document's `components.schemas`. */
export const schemaRefPrefix = "#/components/schemas/";

/** Creates an empty {@link SchemaSet}. */
export function createSchemaSet(options: SchemaSetOptions): SchemaSet {
  const named = new Map<string, JsonObject>();
  const ref = (name: string, build: () => JsonObject): JsonObject => {
    if (!named.has(name)) {
      // Reserved before it is built, so that a message that contains itself refers to itself.
      named.set(name, {});
      named.set(name, build());
    }
    return { $ref: schemaRefPrefix + name };
  };
  const propertyName = (field: DescField) => (options.jsonNames === "proto" ? field.name : field.jsonName);
  const enumRef = (desc: DescEnum) => ref(desc.typeName, () => enumSchema(desc, options.description));
  const messageRef = (message: DescMessage): JsonObject => ref(message.typeName, () => messageSchema(message));

  const valueSchema = (kind: "scalar" | "enum" | "message", scalar: ScalarType | undefined, desc: DescEnum | DescMessage | undefined): JsonObject => {
    if (kind === "enum") {
      return enumRef(desc as DescEnum);
    }
    if (kind === "message") {
      return messageRef(desc as DescMessage);
    }
    return scalarSchema(scalar ?? ScalarType.STRING);
  };

  const fieldSchema = (field: DescField): JsonObject => {
    let schema: JsonObject;
    switch (field.fieldKind) {
      case "scalar":
        schema = scalarSchema(field.scalar);
        break;
      case "enum":
        schema = enumRef(field.enum);
        break;
      case "message":
        schema = messageRef(field.message);
        break;
      case "list":
        schema = { type: "array", items: valueSchema(field.listKind, field.scalar, field.listKind === "enum" ? field.enum : field.listKind === "message" ? field.message : undefined) };
        break;
      case "map":
        schema = {
          type: "object",
          ...mapKeySchema(field.mapKey),
          additionalProperties: valueSchema(field.mapKind, field.scalar, field.mapKind === "enum" ? field.enum : field.mapKind === "message" ? field.message : undefined),
        };
        break;
    }
    return withDocs(schema, field);
  };

  const textSchema = (field: DescField): JsonObject => {
    const text = (kind: "scalar" | "enum" | "message", scalar: ScalarType | undefined, desc: DescEnum | DescMessage | undefined): JsonObject => {
      const wrapped = kind === "message" ? wrapperScalars.get((desc as DescMessage).typeName) : undefined;
      return wrapped === undefined ? valueSchema(kind, scalar, desc) : scalarSchema(wrapped);
    };
    switch (field.fieldKind) {
      case "scalar":
        return scalarSchema(field.scalar);
      case "enum":
        return enumRef(field.enum);
      case "message":
        return text("message", undefined, field.message);
      case "list":
        return { type: "array", items: text(field.listKind, field.scalar, field.listKind === "enum" ? field.enum : field.listKind === "message" ? field.message : undefined) };
      case "map":
        return fieldSchema(field);
    }
  };

  const fieldDescription = (field: DescField): string | undefined => {
    const parts = [options.description(field)];
    const oneof = field.oneof;
    if (oneof !== undefined) {
      // Structure, not prose from the proto: a reader needs it to build a valid request.
      parts.push(`At most one of ${oneof.fields.map((member) => `\`${propertyName(member)}\``).join(", ")} is set (oneof \`${oneof.name}\`).`);
    }
    return joinDescriptions(parts);
  };

  const withDocs = (schema: JsonObject, field: DescField): JsonObject => {
    const description = fieldDescription(field);
    return { ...schema, ...(description === undefined ? {} : { description }), ...(field.deprecated ? { deprecated: true } : {}) };
  };

  const messageSchema = (message: DescMessage): JsonObject => {
    const wellKnown = wellKnownSchema(message.typeName);
    // The comments of these types describe their fields, which their JSON does not have.
    if (wellKnown !== undefined) {
      return wellKnown;
    }
    const properties: JsonObject = {};
    for (const field of message.fields) {
      properties[propertyName(field)] = fieldSchema(field);
    }
    // A request that sets two members of a oneof is rejected; a reply never has two.
    const pairs = message.oneofs.flatMap((oneof) =>
      oneof.fields.flatMap((first, index) => oneof.fields.slice(index + 1).map((second): JsonObject => ({ required: [propertyName(first), propertyName(second)] }))),
    );
    return withDescription(
      {
        type: "object",
        ...(message.fields.length === 0 ? {} : { properties }),
        ...(pairs.length === 0 ? {} : { not: { anyOf: pairs } }),
        ...(message.deprecated ? { deprecated: true } : {}),
      },
      options.description(message),
    );
  };

  return {
    fieldSchema,
    textSchema,
    fieldDescription,
    messageRef,
    wellKnownRef: (typeName) => ref(typeName, () => wellKnownSchema(typeName) ?? {}),
    namedRef: ref,
    propertyName,
    schemas: () => Object.fromEntries([...named].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

/** Descriptions joined as paragraphs; undefined when there are none. */
export function joinDescriptions(parts: readonly (string | undefined)[]): string | undefined {
  const present = parts.filter((part): part is string => part !== undefined && part !== "");
  return present.length === 0 ? undefined : present.join("\n\n");
}

function withDescription(schema: JsonObject, description: string | undefined): JsonObject {
  return description === undefined || description === "" ? schema : { ...schema, description };
}

// The JSON of an enum is the value's name; the gateway reads numbers too, but never writes them
// unless told to. The values' descriptions go into the enum's, one line each.
function enumSchema(desc: DescEnum, describe: DescribeElement): JsonObject {
  if (desc.typeName === "google.protobuf.NullValue") {
    return { type: "null" };
  }
  const valueLines = desc.values.flatMap((value) => {
    const text = describe(value);
    return text === undefined || text === "" ? [] : [`- \`${value.name}\`: ${text.replace(/\n/g, " ")}`];
  });
  const description = joinDescriptions([describe(desc), valueLines.length === 0 ? undefined : valueLines.join("\n")]);
  return withDescription({ type: "string", enum: desc.values.map((value) => value.name), ...(desc.deprecated ? { deprecated: true } : {}) }, description);
}

const int32Range = { minimum: -2147483648, maximum: 2147483647 };
const uint32Range = { minimum: 0, maximum: 4294967295 };

// 64-bit integers are strings in proto3 JSON (a JSON number cannot hold them exactly): that is
// what the gateway writes; it reads JSON numbers too.
function scalarSchema(scalar: ScalarType): JsonObject {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return { oneOf: [{ type: "number", format: scalar === ScalarType.DOUBLE ? "double" : "float" }, { type: "string", enum: ["NaN", "Infinity", "-Infinity"] }] };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32", ...int32Range };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "uint32", ...uint32Range };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", format: "uint64", pattern: "^[0-9]+$" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BYTES:
      return { type: "string", format: "byte", contentEncoding: "base64" };
  }
}

// Map keys are JSON object keys: strings, spelling out the key's value.
function mapKeySchema(key: ScalarType): JsonObject {
  switch (key) {
    case ScalarType.BOOL:
      return { propertyNames: { enum: ["true", "false"] } };
    case ScalarType.STRING:
      return {};
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { propertyNames: { pattern: "^[0-9]+$" } };
    default:
      return { propertyNames: { pattern: "^-?[0-9]+$" } };
  }
}

// The well-known types with a JSON form of their own. Empty is an ordinary message: `{}`.
function wellKnownSchema(typeName: string): JsonObject | undefined {
  const wrapped = wrapperScalars.get(typeName);
  if (wrapped !== undefined) {
    return nullable(scalarSchema(wrapped));
  }
  switch (typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time" };
    case "google.protobuf.Duration":
      // Seconds with up to nine fractional digits, and an "s": "1.5s", "-0.000000001s".
      return { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$" };
    case "google.protobuf.FieldMask":
      // Paths in lowerCamelCase, separated by commas: "title,author.name".
      return { type: "string" };
    case "google.protobuf.Struct":
      return { type: "object" };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.ListValue":
      return { type: "array" };
    case "google.protobuf.Any":
      // The type's URL and the message's fields, or {"@type", "value"} for a type with a JSON form of its own.
      return { type: "object", properties: { "@type": { type: "string" } }, required: ["@type"] };
    default:
      return undefined;
  }
}

// A wrapper's JSON is its scalar, or null.
function nullable(schema: JsonObject): JsonObject {
  const { type, oneOf } = schema;
  if (typeof type === "string") {
    return { ...schema, type: [type, "null"] };
  }
  if (Array.isArray(oneOf)) {
    return { ...schema, oneOf: [...oneOf, { type: "null" }] };
  }
  return schema;
}
