import { toJson, toJsonString, type Message, type Registry } from "@bufbuild/protobuf";
import type { HttpBinding } from "./http-binding.js";

/** How a gateway writes the JSON of REST replies. */
export interface RestJsonOptions {
  /** Field names as in the proto (`game_id`) rather than lowerCamelCase (`gameId`); false by default. */
  readonly useProtoFieldName?: boolean;
  /**
   * Writes fields with their default values too (0, "", false, empty lists), so that REST clients
   * find every field; true by default, as in grpc-gateway.
   */
  readonly alwaysEmitImplicit?: boolean;
  /** Enum values as numbers rather than names; false by default. */
  readonly enumAsInteger?: boolean;
}

/**
 * The JSON text of a REST reply: the response message, or its `response_body` field. A stream's
 * replies are written one by one the same way (a Connect path has no `response_body`).
 */
export function restResponseBody(binding: Pick<HttpBinding, "method" | "responseBody">, reply: Message, registry: Registry, options: RestJsonOptions = {}): string {
  const writeOptions = {
    registry,
    useProtoFieldName: options.useProtoFieldName ?? false,
    alwaysEmitImplicit: options.alwaysEmitImplicit ?? true,
    enumAsInteger: options.enumAsInteger ?? false,
  };
  const output = binding.method.output;
  if (binding.responseBody === undefined) {
    return toJsonString(output, reply, writeOptions);
  }
  const field = binding.responseBody;
  const json = toJson(output, reply, { ...writeOptions, alwaysEmitImplicit: true }) as Record<string, unknown>;
  return JSON.stringify(json[writeOptions.useProtoFieldName ? field.name : field.jsonName] ?? null);
}
