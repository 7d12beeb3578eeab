import { fromJson, fromJsonString, type DescField, type DescMessage, type JsonObject, type JsonValue, type Message, type Registry } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import { isTextField, jsonValueOfText } from "./field-text.js";
import type { HttpBinding } from "./http-binding.js";

/** What an HTTP request brings to a REST binding: the path's variables, the query, the body's text. */
export interface RestRequestParts {
  /** Values of the path variables by field path (`book.name`), percent-decoded. */
  readonly variables: ReadonlyMap<string, string>;
  /** The query string without "?"; empty when the URL has none. */
  readonly query: string;
  /** The request body as text; empty when it has none. */
  readonly body: string;
}

/**
 * The request message of a REST binding, as google.api.http maps it: the body (the whole message,
 * one field, or none), then the path's variables over it, then the query parameters for fields
 * neither of them binds. Every problem is an `invalid_argument` that says what was wrong:
 * malformed JSON, an unknown field or parameter, a value of the wrong type.
 */
export function restRequestMessage(binding: HttpBinding, parts: RestRequestParts, registry: Registry): Message {
  const input = binding.method.input;
  const { body } = binding;
  // The common case of a POST with its whole message as the body: one parse, nothing to merge.
  if (parts.variables.size === 0 && parts.query === "" && body.kind === "whole") {
    return parseMessage(input, () => fromJsonString(input, parts.body.trim() === "" ? "{}" : parts.body, { registry }));
  }
  const json = bodyJson(binding, parts.body);
  for (const variable of binding.pathVariables) {
    const value = parts.variables.get(variable.fieldPath);
    if (value !== undefined) {
      const leaf = variable.fields[variable.fields.length - 1]!;
      setAtPath(json, variable.fields, jsonValueOfText(leaf, value, variable.fieldPath));
    }
  }
  if (parts.query !== "") {
    setQueryParameters(binding, json, new URLSearchParams(parts.query));
  }
  return parseMessage(input, () => fromJson(input, json, { registry }));
}

function parseMessage(input: DescMessage, parse: () => Message): Message {
  try {
    return parse();
  } catch (cause) {
    throw jsonFailure(input, cause);
  }
}

// As the codec says it (protocol/codec.ts): the message type and what was wrong.
function jsonFailure(input: DescMessage, cause: unknown): RpcError {
  return new RpcError(`cannot decode ${input.typeName} from JSON: ${cause instanceof Error ? cause.message : String(cause)}`, Code.InvalidArgument, { cause });
}

// The body as the JSON object of the whole request message, before the path and query go in.
function bodyJson(binding: HttpBinding, text: string): JsonObject {
  const { body } = binding;
  if (body.kind === "none" || text.trim() === "") {
    return {};
  }
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (cause) {
    throw jsonFailure(binding.method.input, cause);
  }
  if (body.kind === "field") {
    return { [body.field.jsonName]: value };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RpcError(`the body must be a JSON object of ${binding.method.input.typeName}`, Code.InvalidArgument);
  }
  return value;
}

// Sets a value at a field path of the JSON object, whichever name (JSON or proto) the body used
// for the fields on the way: the path and query win over the body, as in grpc-gateway.
function setAtPath(json: JsonObject, fields: readonly DescField[], value: JsonValue): void {
  let object = json;
  fields.forEach((field, index) => {
    const existingKey = field.jsonName in object ? field.jsonName : field.name in object ? field.name : undefined;
    if (index === fields.length - 1) {
      if (existingKey !== undefined) {
        delete object[existingKey];
      }
      object[field.jsonName] = value;
      return;
    }
    const existing = existingKey === undefined ? undefined : object[existingKey];
    if (typeof existing === "object" && existing !== null && !Array.isArray(existing)) {
      object = existing;
    } else {
      if (existingKey !== undefined) {
        delete object[existingKey];
      }
      const child: JsonObject = {};
      object[field.jsonName] = child;
      object = child;
    }
  });
}

function setQueryParameters(binding: HttpBinding, json: JsonObject, query: URLSearchParams): void {
  if (binding.body.kind === "whole") {
    const name = query.keys().next().value ?? "";
    throw new RpcError(`unknown query parameter "${name}": every field of ${binding.method.input.typeName} comes from the path or the body`, Code.InvalidArgument);
  }
  const seen = new Set<string>();
  for (const name of query.keys()) {
    if (seen.has(name)) {
      continue;
    }
    seen.add(name);
    const fields = queryFields(binding, name);
    const leaf = fields[fields.length - 1]!;
    const texts = query.getAll(name);
    if (leaf.fieldKind === "list") {
      setAtPath(json, fields, texts.map((text) => jsonValueOfText(leaf, text, name)));
    } else if (texts.length > 1) {
      throw new RpcError(`query parameter "${name}" is given ${texts.length} times, but ${leaf.name} is not a repeated field`, Code.InvalidArgument);
    } else {
      setAtPath(json, fields, jsonValueOfText(leaf, texts[0]!, name));
    }
  }
}

// The fields a query parameter names (proto or JSON names, dot-separated), or invalid_argument.
function queryFields(binding: HttpBinding, name: string): DescField[] {
  const fields: DescField[] = [];
  let message: DescMessage | undefined = binding.method.input;
  for (const part of name.split(".")) {
    const field: DescField | undefined = message?.fields.find((candidate) => candidate.name === part || candidate.jsonName === part);
    if (field === undefined || message === undefined) {
      throw new RpcError(`unknown query parameter "${name}" for ${binding.method.input.typeName}`, Code.InvalidArgument);
    }
    fields.push(field);
    message = field.fieldKind === "message" && !isTextField(field) ? field.message : undefined;
  }
  const leaf = fields[fields.length - 1]!;
  if (!isTextField(leaf)) {
    throw new RpcError(`query parameter "${name}" names a ${leaf.fieldKind === "map" ? "map" : "message"} field, which a query cannot set`, Code.InvalidArgument);
  }
  const first = fields[0]!;
  if (binding.body.kind === "field" && binding.body.field === first) {
    throw new RpcError(`query parameter "${name}" is part of the body field "${first.name}"`, Code.InvalidArgument);
  }
  if (binding.pathVariables.some((variable) => variable.fields.length === fields.length && variable.fields.every((field, index) => field === fields[index]))) {
    throw new RpcError(`query parameter "${name}" is bound by the path`, Code.InvalidArgument);
  }
  return fields;
}

