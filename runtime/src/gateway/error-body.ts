import { fromBinary, toJson, type JsonObject, type Registry } from "@bufbuild/protobuf";
import { grpcNumberFromCode } from "../protocol/code-tables.js";
import type { ErrorDetail, RpcError } from "../protocol/rpc-error.js";
import { readViolations, violationsTypeName } from "../protocol/violations.js";

const typeUrlPrefix = "type.googleapis.com/";

/**
 * The JSON body of a REST error: a `google.rpc.Status` in the protobuf JSON mapping, as
 * grpc-gateway writes it: `{"code": 3, "message": "...", "details": [{"@type": "...", ...}]}`.
 * Each detail is written with its fields when the registry knows its type (and validation
 * violations always), else as `{"@type", "value"}` with the bytes in base64.
 */
export function restErrorBody(error: RpcError, registry: Registry): string {
  const status: JsonObject = { code: grpcNumberFromCode(error.code), message: error.rawMessage, details: error.details.map((detail) => detailJson(detail, registry)) };
  return JSON.stringify(status);
}

function detailJson(detail: ErrorDetail, registry: Registry): JsonObject {
  const typeUrl = typeUrlPrefix + detail.type;
  const schema = registry.getMessage(detail.type);
  if (schema !== undefined) {
    try {
      const fields = toJson(schema, fromBinary(schema, detail.value), { registry });
      if (typeof fields === "object" && fields !== null && !Array.isArray(fields)) {
        return { "@type": typeUrl, ...fields };
      }
    } catch {
      // Unreadable details are passed on as bytes, below.
    }
  }
  if (detail.type === violationsTypeName) {
    return { "@type": typeUrl, violations: readViolations([detail]).map(({ field, ruleId, message }) => ({ field, ruleId, message })) };
  }
  return { "@type": typeUrl, value: Buffer.from(detail.value).toString("base64") };
}
