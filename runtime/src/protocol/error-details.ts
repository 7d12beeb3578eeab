import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import type { Code } from "./code.js";
import { grpcNumberFromCode } from "./code-tables.js";
import type { Encoding } from "./codec.js";

import type { ErrorDetail } from "./rpc-error.js";

export type { ErrorDetail };

/** The value of the `Nats-Rpc-Error-Details` header: the error reply's payload is this message. */
export const errorDetailsPayload = "google.rpc.Status";

const typeUrlPrefix = "type.googleapis.com/";

/**
 * The payload of an error reply with details: a `google.rpc.Status` (code, message, details as
 * `google.protobuf.Any`) in binary, or in JSON as the Connect protocol writes error details
 * (`{"code":"invalid_argument","message":"...","details":[{"type":"...","value":"<base64>"}]}`).
 */
export function encodeErrorDetails(code: Code, message: string, details: readonly ErrorDetail[], encoding: Encoding): Uint8Array {
  if (encoding === "json") {
    const json = {
      code,
      message,
      details: details.map((detail) => ({ type: detail.type, value: Buffer.from(detail.value).toString("base64").replace(/=+$/, "") })),
    };
    return new TextEncoder().encode(JSON.stringify(json));
  }
  const writer = new BinaryWriter();
  writer.tag(1, 0).int32(grpcNumberFromCode(code));
  writer.tag(2, 2).string(message);
  for (const detail of details) {
    writer.tag(3, 2).fork();
    writer.tag(1, 2).string(typeUrlPrefix + detail.type);
    writer.tag(2, 2).bytes(detail.value);
    writer.join();
  }
  return writer.finish();
}

/**
 * The details of an error reply's payload (see `encodeErrorDetails`); an empty list for an empty
 * payload, and for one that cannot be read: the details add to the error headers, never replace them.
 */
export function decodeErrorDetails(payload: Uint8Array, encoding: Encoding): ErrorDetail[] {
  if (payload.length === 0) {
    return [];
  }
  try {
    return encoding === "json" ? detailsFromJson(payload) : detailsFromBinary(payload);
  } catch {
    return [];
  }
}

function detailsFromJson(payload: Uint8Array): ErrorDetail[] {
  const json: unknown = JSON.parse(new TextDecoder().decode(payload));
  const details = typeof json === "object" && json !== null ? (json as { details?: unknown }).details : undefined;
  if (!Array.isArray(details)) {
    return [];
  }
  const found: ErrorDetail[] = [];
  for (const detail of details as unknown[]) {
    const { type, value } = (detail ?? {}) as { type?: unknown; value?: unknown };
    if (typeof type === "string" && typeof value === "string") {
      found.push({ type, value: new Uint8Array(Buffer.from(value, "base64")) });
    }
  }
  return found;
}

function detailsFromBinary(payload: Uint8Array): ErrorDetail[] {
  const reader = new BinaryReader(payload);
  const found: ErrorDetail[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 3 && wireType === 2) {
      const any = new BinaryReader(reader.bytes());
      let typeUrl = "";
      let value = new Uint8Array(0);
      while (any.pos < any.len) {
        const [anyField, anyWireType] = any.tag();
        if (anyField === 1 && anyWireType === 2) {
          typeUrl = any.string();
        } else if (anyField === 2 && anyWireType === 2) {
          value = any.bytes();
        } else {
          any.skip(anyWireType);
        }
      }
      found.push({ type: typeUrl.slice(typeUrl.lastIndexOf("/") + 1), value });
    } else {
      reader.skip(wireType);
    }
  }
  return found;
}

