import { getOption, hasOption, ScalarType, type DescField, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { http } from "../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../gen/google/api/http_pb.js";
import { parsePathTemplate, PathTemplateError, type PathTemplate } from "./path-template.js";

/** Where the HTTP body goes in the request message: nowhere, the whole message, or one field. */
export type BodyMapping = { readonly kind: "none" } | { readonly kind: "whole" } | { readonly kind: "field"; readonly field: DescField };

/** A variable of a path template, resolved to the fields it names. */
export interface PathVariable {
  /** The field path as written, such as `book.name`. */
  readonly fieldPath: string;
  /** The fields from the request message down; every field but the last is a singular message. */
  readonly fields: readonly DescField[];
}

/** One HTTP binding of a method (`google.api.http` or one of its `additional_bindings`), checked against the method's messages. */
export interface HttpBinding {
  readonly method: DescMethod;
  /** Upper case (`GET`, `POST`, a custom kind such as `HEAD`), or `*` for a custom rule that takes every method. */
  readonly httpMethod: string;
  readonly template: PathTemplate;
  readonly pathVariables: readonly PathVariable[];
  readonly body: BodyMapping;
  /** The response field that is the HTTP response body; the whole response when absent. */
  readonly responseBody: DescField | undefined;
  /** The rule as a person would write it, such as `POST /v1/books/{name}`, for messages. */
  readonly description: string;
}

/**
 * A `google.api.http` rule that cannot work: the message names the file, the method and the rule,
 * and says what is wrong.
 */
export class HttpRuleError extends Error {
  override name = "HttpRuleError";
}

/**
 * The HTTP bindings of a method from its `google.api.http` option: none when it has no option.
 * Throws {@link HttpRuleError} for a rule that cannot work: a bad template, a variable that names
 * a missing, repeated or message field, a body field that does not exist, nested additional bindings.
 */
export function httpBindings(method: DescMethod): HttpBinding[] {
  if (!hasOption(method, http)) {
    return [];
  }
  const rule = getOption(method, http);
  const bindings = [bindingOf(method, rule)];
  for (const additional of rule.additionalBindings) {
    if (additional.additionalBindings.length > 0) {
      const { httpMethod, path } = patternOf(method, additional);
      throw ruleError(method, `${httpMethod} ${path}`, "additional_bindings must not have additional_bindings of their own");
    }
    bindings.push(bindingOf(method, additional));
  }
  return bindings;
}

function bindingOf(method: DescMethod, rule: HttpRule): HttpBinding {
  const { httpMethod, path } = patternOf(method, rule);
  const description = `${httpMethod} ${path}`;
  let template: PathTemplate;
  try {
    template = parsePathTemplate(path);
  } catch (error) {
    if (error instanceof PathTemplateError) {
      throw ruleError(method, description, error.message);
    }
    throw error;
  }
  const pathVariables = template.variables.map((variable) => {
    const fieldPath = variable.fieldPath.join(".");
    return { fieldPath, fields: pathFields(method, description, variable.fieldPath) };
  });
  const body = bodyMapping(method, description, rule.body, httpMethod);
  // A path variable may set a field inside the body field ({book.name} with body "book"), not the body field itself.
  if (body.kind === "field" && pathVariables.some((variable) => variable.fields.length === 1 && variable.fields[0] === body.field)) {
    throw ruleError(method, description, `the body field "${rule.body}" is also bound by the path`);
  }
  const responseBody = rule.responseBody === "" ? undefined : topLevelField(method, description, method.output, rule.responseBody, "response_body");
  return { method, httpMethod, template, pathVariables, body, responseBody, description };
}

function patternOf(method: DescMethod, rule: HttpRule): { httpMethod: string; path: string } {
  const { pattern } = rule;
  switch (pattern.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      return { httpMethod: pattern.case.toUpperCase(), path: pattern.value };
    case "custom": {
      const kind = pattern.value.kind;
      // An HTTP method is a token (RFC 9110); "*" is the rule's own wildcard.
      if (kind !== "*" && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(kind)) {
        throw ruleError(method, `${kind} ${pattern.value.path}`, `custom kind "${kind}" is not an HTTP method`);
      }
      return { httpMethod: kind === "*" ? "*" : kind.toUpperCase(), path: pattern.value.path };
    }
    default:
      throw ruleError(method, "(no pattern)", "the rule sets none of get, put, post, delete, patch or custom");
  }
}

// A path variable must end in a singular scalar or enum field: its value is one string of the path.
function pathFields(method: DescMethod, description: string, fieldPath: readonly string[]): DescField[] {
  const fields: DescField[] = [];
  let message: DescMessage = method.input;
  fieldPath.forEach((name, index) => {
    const field = message.fields.find((candidate) => candidate.name === name);
    const written = fieldPath.slice(0, index + 1).join(".");
    if (field === undefined) {
      throw ruleError(method, description, `the path variable "${written}" names no field of ${message.typeName}`);
    }
    fields.push(field);
    const last = index === fieldPath.length - 1;
    if (field.fieldKind === "list" || field.fieldKind === "map") {
      throw ruleError(method, description, `the path variable "${written}" names a ${field.fieldKind === "list" ? "repeated" : "map"} field`);
    }
    if (!last) {
      if (field.fieldKind !== "message") {
        throw ruleError(method, description, `the path variable "${fieldPath.join(".")}" goes through "${written}", which is not a message field`);
      }
      message = field.message;
    } else if (field.fieldKind === "message") {
      throw ruleError(method, description, `the path variable "${written}" names a message field (${field.message.typeName}): it must name a scalar or enum field`);
    } else if (field.fieldKind === "scalar" && field.scalar === ScalarType.BYTES) {
      throw ruleError(method, description, `the path variable "${written}" names a bytes field`);
    }
  });
  return fields;
}

function bodyMapping(method: DescMethod, description: string, body: string, httpMethod: string): BodyMapping {
  if (body === "") {
    return { kind: "none" };
  }
  // As grpc-gateway: a GET request has no body.
  if (httpMethod === "GET") {
    throw ruleError(method, description, `a GET binding must not have a body (body: "${body}")`);
  }
  if (body === "*") {
    return { kind: "whole" };
  }
  const field = topLevelField(method, description, method.input, body, "body");
  if (field.fieldKind === "map") {
    throw ruleError(method, description, `the body field "${body}" is a map field`);
  }
  return { kind: "field", field };
}

function topLevelField(method: DescMethod, description: string, message: DescMessage, name: string, option: string): DescField {
  const field = message.fields.find((candidate) => candidate.name === name);
  if (field === undefined) {
    throw ruleError(method, description, `${option} "${name}" names no field of ${message.typeName}${name.includes(".") ? " (it must be a top-level field)" : ""}`);
  }
  return field;
}

function ruleError(method: DescMethod, rule: string, problem: string): HttpRuleError {
  return new HttpRuleError(`${method.parent.file.name}.proto: ${method.parent.typeName}.${method.name}: google.api.http rule "${rule}": ${problem}`);
}
