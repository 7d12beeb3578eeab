import type { DescField, DescMessage, DescMethod, DescService, JsonObject } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { isTextField } from "./field-text.js";
import { connectPath, hasConnectGet, isRoutable } from "./gateway-routes.js";
import { httpBindings, type HttpBinding } from "./http-binding.js";
import { createSchemaSet, type DescribeElement, type SchemaSet } from "./openapi-schema.js";
import { openApiPath, type PathTemplate, type TemplateVariable } from "./path-template.js";
import { streamContentType } from "./stream-format.js";

/** An OpenAPI 3.1 document: plain JSON, ready for `JSON.stringify`. */
export type OpenApiDocument = {
  openapi: "3.1.0";
  info: { title: string; version: string };
  tags: { name: string; description?: string }[];
  /** By path, keys sorted; each path item by HTTP method (lower case). */
  paths: Record<string, Record<string, JsonObject>>;
  components: { schemas: Record<string, JsonObject> };
};

/** How {@link openApiDocument} writes the document. */
export interface OpenApiDocumentOptions {
  /** `info.title`; the services' names unless set. */
  title?: string;
  /** `info.version`; `0.0.0` unless set. */
  version?: string;
  /** The description of a service, method, message, field, enum or enum value (its proto comment, say); none unless set. */
  description?: DescribeElement;
  /**
   * Property and query parameter names: lowerCamelCase JSON names (`json`, the default, what the
   * gateway writes unless `useProtoFieldName` is set) or proto names (`proto`). The gateway reads both.
   */
  jsonNames?: "json" | "proto";
}

/** The schema names of the two error bodies in `components.schemas`. */
export const errorSchemaNames = { rest: "google.rpc.Status", connect: "connect.Error" } as const;

// HTTP methods an OpenAPI 3.1 path item can hold.
const openApiMethods: ReadonlySet<string> = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

/**
 * The OpenAPI 3.1 document of what a gateway serves for these services: every `google.api.http`
 * binding of a unary or server-streaming method (path and query parameters, request body, the
 * response or its `response_body` field, `google.rpc.Status` errors), and each such method's
 * Connect route `POST /<package>.<Service>/<Method>` (the request and response messages, Connect
 * errors), and its `GET` for methods marked `NO_SIDE_EFFECTS` (the request in the query). A
 * server-streaming method's 200 response has the media types `application/x-ndjson` and
 * `text/event-stream`, with the schema of one reply: OpenAPI has no schema for a sequence.
 * Operations are tagged with their service's full name; their ids are `<Service>_<Method>`, with
 * `2`, `3`, ... for additional bindings, `_Connect` for the Connect route and `_ConnectGet` for
 * its GET.
 *
 * Schemas follow the proto3 JSON mapping and live in `components.schemas` under the full names of
 * the messages and enums: 64-bit integers are strings (`format: int64`/`uint64`), floating point
 * numbers also take `"NaN"`, `"Infinity"`, `"-Infinity"`, bytes are base64, enums the values'
 * names; the well-known types have their JSON forms (Timestamp an RFC 3339 string, Duration `"1.5s"`,
 * wrappers their scalar or null, ...). The output is the same for the same input.
 *
 * What OpenAPI cannot say is left out: bindings with a custom method kind OpenAPI lacks (or `*`),
 * and a binding whose OpenAPI path and method an earlier binding has already taken (as
 * `{name=shelves/*}` and `{name=books/*}` are both `{name}`).
 *
 * @throws HttpRuleError for a `google.api.http` rule that cannot work.
 * @example
 * const document = openApiDocument(file.services, { title: "Library", version: "1.0.0" });
 * await writeFile("library.openapi.json", JSON.stringify(document, null, 2));
 */
export function openApiDocument(services: readonly DescService[], options: OpenApiDocumentOptions = {}): OpenApiDocument {
  const describe: DescribeElement = options.description ?? (() => undefined);
  const schemas = createSchemaSet({ jsonNames: options.jsonNames ?? "json", description: describe });
  const paths = new Map<string, Map<string, JsonObject>>();
  const operationIds = new Set<string>();
  const uniqueId = (id: string) => {
    let unique = id;
    for (let count = 2; operationIds.has(unique); count++) {
      unique = `${id}_${count}`;
    }
    operationIds.add(unique);
    return unique;
  };
  const add = (path: string, httpMethod: string, operation: () => JsonObject) => {
    const item = paths.get(path) ?? new Map<string, JsonObject>();
    paths.set(path, item);
    if (!item.has(httpMethod)) {
      item.set(httpMethod, operation());
    }
  };

  const tags: { name: string; description?: string }[] = [];
  for (const service of services) {
    const routable = service.methods.filter(isRoutable);
    if (routable.length === 0) {
      continue;
    }
    const description = describe(service);
    tags.push({ name: service.typeName, ...(description === undefined || description === "" ? {} : { description }) });
    for (const method of routable) {
      httpBindings(method).forEach((binding, index) => {
        const httpMethod = binding.httpMethod.toLowerCase();
        if (!openApiMethods.has(httpMethod)) {
          return;
        }
        const id = `${service.name}_${method.name}${index === 0 ? "" : String(index + 1)}`;
        add(openApiPath(binding.template), httpMethod, () => restOperation(binding, uniqueId(id), schemas, describe));
      });
      add(connectPath(method), "post", () => connectOperation(method, uniqueId(`${service.name}_${method.name}_Connect`), schemas, describe));
      if (hasConnectGet(method)) {
        add(connectPath(method), "get", () => connectGetOperation(method, uniqueId(`${service.name}_${method.name}_ConnectGet`), schemas, describe));
      }
    }
  }

  const sortedPaths = [...paths].sort(([a], [b]) => compare(a, b)).map(([path, item]) => [path, Object.fromEntries([...item].sort(([a], [b]) => compare(a, b)))] as const);
  return {
    openapi: "3.1.0",
    info: {
      title: options.title ?? (services.length === 0 ? "API" : services.map((service) => service.typeName).join(", ")),
      version: options.version ?? "0.0.0",
    },
    tags: tags.sort((a, b) => compare(a.name, b.name)),
    paths: Object.fromEntries(sortedPaths),
    components: { schemas: schemas.schemas() },
  };
}

function restOperation(binding: HttpBinding, operationId: string, schemas: SchemaSet, describe: DescribeElement): JsonObject {
  const { method } = binding;
  const parameters = [...pathParameters(binding, schemas), ...queryParameters(binding, schemas)];
  const { body, responseBody } = binding;
  const requestSchema = body.kind === "whole" ? schemas.messageRef(method.input) : body.kind === "field" ? schemas.fieldSchema(body.field) : undefined;
  const responseSchema = responseBody === undefined ? schemas.messageRef(method.output) : schemas.fieldSchema(responseBody);
  const reply = responseBody === undefined ? method.output.typeName : `The field "${responseBody.name}" of ${method.output.typeName}`;
  return {
    ...operationHead(method, operationId, describe),
    ...(parameters.length === 0 ? {} : { parameters }),
    // The gateway takes an empty body as the empty message: the body is never required.
    ...(requestSchema === undefined ? {} : { requestBody: { content: { "application/json": { schema: requestSchema } } } }),
    responses: {
      "200": successResponse(method, reply, responseSchema),
      default: { description: "An error, as a google.rpc.Status", content: { "application/json": { schema: statusRef(schemas) } } },
    },
  };
}

function connectOperation(method: DescMethod, operationId: string, schemas: SchemaSet, describe: DescribeElement): JsonObject {
  return {
    ...operationHead(method, operationId, describe),
    requestBody: { required: true, content: { "application/json": { schema: schemas.messageRef(method.input) } } },
    responses: {
      "200": successResponse(method, method.output.typeName, schemas.messageRef(method.output)),
      default: { description: "An error, in the Connect protocol", content: { "application/json": { schema: connectErrorRef(schemas) } } },
    },
  };
}

// Connect's unary GET: the request in the query (https://connectrpc.com/docs/protocol/#unary-get-request).
function connectGetOperation(method: DescMethod, operationId: string, schemas: SchemaSet, describe: DescribeElement): JsonObject {
  const query = (name: string, required: boolean, description: string, schema: JsonObject) => ({ name, in: "query", required, description, schema });
  return {
    ...operationHead(method, operationId, describe),
    parameters: [
      {
        name: "message",
        in: "query",
        required: true,
        description: `The ${method.input.typeName} request in the encoding that "encoding" names: its JSON, or with "base64=1" its bytes in unpadded base64url.`,
        content: { "application/json": { schema: schemas.messageRef(method.input) } },
      },
      query("encoding", true, "The request's encoding: json, or proto (binary).", { type: "string", enum: ["json", "proto"] }),
      query("base64", false, 'Set to "1" when "message" is base64url.', { type: "string", enum: ["1"] }),
      query("compression", false, "The request's compression: none (identity) is the only one taken.", { type: "string", enum: ["identity"] }),
      query("connect", false, "The Connect protocol version.", { type: "string", enum: ["v1"] }),
    ],
    responses: {
      "200": successResponse(method, method.output.typeName, schemas.messageRef(method.output)),
      default: { description: "An error, in the Connect protocol", content: { "application/json": { schema: connectErrorRef(schemas) } } },
    },
  };
}

// A unary method's one JSON reply, or a server-streaming method's replies, each with the schema.
function successResponse(method: DescMethod, reply: string, schema: JsonObject): JsonObject {
  if (method.methodKind !== "server_streaming") {
    return { description: reply, content: { "application/json": { schema } } };
  }
  return {
    description:
      `A stream of ${reply}: one JSON object per line (${streamContentType.ndjson}), or one event each (${streamContentType.sse}, when the request's Accept names it). ` +
      `An error after the first reply ends the stream with the line {"error": google.rpc.Status}, or an "error" event whose data is the google.rpc.Status.`,
    content: { [streamContentType.ndjson]: { schema }, [streamContentType.sse]: { schema } },
  };
}

function operationHead(method: DescMethod, operationId: string, describe: DescribeElement): JsonObject {
  const description = describe(method);
  return {
    operationId,
    tags: [method.parent.typeName],
    ...(description === undefined || description === "" ? {} : { description }),
    ...(method.deprecated ? { deprecated: true } : {}),
  };
}

// One parameter per variable, named by its field path as the path writes it.
function pathParameters(binding: HttpBinding, schemas: SchemaSet): JsonObject[] {
  return binding.pathVariables.map((variable, index) => {
    const leaf = variable.fields[variable.fields.length - 1]!;
    const templateVariable = binding.template.variables[index]!;
    let schema = schemas.textSchema(leaf);
    const pattern = variablePattern(binding.template, templateVariable);
    if (pattern !== undefined && schema["type"] === "string") {
      schema = { ...schema, pattern };
    }
    return { name: variable.fieldPath, in: "path", required: true, ...descriptionOf(schemas, leaf), schema };
  });
}

// What a variable covering more than one segment takes, as a regular expression: `shelves/[^/]+`.
function variablePattern(template: PathTemplate, variable: TemplateVariable): string | undefined {
  const segments = template.segments.slice(variable.start, variable.end);
  if (segments.length === 1 && segments[0]!.kind === "wildcard") {
    return undefined;
  }
  const parts = segments.map((segment) => {
    switch (segment.kind) {
      case "literal":
        return escapeRegExp(safeDecode(segment.value));
      case "wildcard":
        return "[^/]+";
      case "deep-wildcard":
        return ".*";
    }
  });
  return `^${parts.join("/")}$`;
}

// The fields a query may set: every text leaf that neither the path nor the body binds, under
// dotted names through singular messages (not the well-known types, which have JSON forms of their own).
function queryParameters(binding: HttpBinding, schemas: SchemaSet): JsonObject[] {
  const { body } = binding;
  if (body.kind === "whole") {
    return [];
  }
  const bound = new Set(binding.pathVariables.map((variable) => variable.fields.map((field) => field.name).join(".")));
  const parameters: JsonObject[] = [];
  const walk = (message: DescMessage, protoPath: readonly string[], namePath: readonly string[], visiting: ReadonlySet<DescMessage>) => {
    for (const field of message.fields) {
      if (protoPath.length === 0 && body.kind === "field" && body.field === field) {
        continue;
      }
      const fieldProtoPath = [...protoPath, field.name];
      const fieldNamePath = [...namePath, schemas.propertyName(field)];
      if (isTextField(field)) {
        if (bound.has(fieldProtoPath.join("."))) {
          continue;
        }
        const schema = schemas.textSchema(field);
        parameters.push({
          name: fieldNamePath.join("."),
          in: "query",
          ...descriptionOf(schemas, field),
          ...(field.deprecated ? { deprecated: true } : {}),
          schema,
          ...(field.fieldKind === "list" ? { style: "form", explode: true } : {}),
        });
      } else if (field.fieldKind === "message" && !field.message.typeName.startsWith("google.protobuf.") && !visiting.has(field.message)) {
        // A message that contains itself is walked once per path.
        walk(field.message, fieldProtoPath, fieldNamePath, new Set([...visiting, field.message]));
      }
    }
  };
  walk(binding.method.input, [], [], new Set([binding.method.input]));
  return parameters;
}

function descriptionOf(schemas: SchemaSet, field: DescField): { description?: string } {
  const description = schemas.fieldDescription(field);
  return description === undefined ? {} : { description };
}

function statusRef(schemas: SchemaSet): JsonObject {
  return schemas.namedRef(errorSchemaNames.rest, () => ({
    type: "object",
    description: "The error of a REST call: its gRPC code number, message and details.",
    properties: {
      code: { type: "integer", format: "int32", description: "The gRPC status code: 3 for INVALID_ARGUMENT, 5 for NOT_FOUND, ..." },
      message: { type: "string" },
      details: { type: "array", items: schemas.wellKnownRef("google.protobuf.Any") },
    },
    required: ["code", "message"],
  }));
}

function connectErrorRef(schemas: SchemaSet): JsonObject {
  return schemas.namedRef(errorSchemaNames.connect, () => ({
    type: "object",
    description: "The error of a Connect call.",
    properties: {
      code: { type: "string", enum: Object.values(Code) },
      message: { type: "string" },
      details: {
        type: "array",
        items: {
          type: "object",
          properties: {
            type: { type: "string", description: "The full name of the detail's message type." },
            value: { type: "string", contentEncoding: "base64", description: "The detail's message in protobuf binary, base64 without padding." },
            debug: { description: "The detail as JSON, when the server adds it." },
          },
          required: ["type", "value"],
        },
      },
    },
    required: ["code"],
  }));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
