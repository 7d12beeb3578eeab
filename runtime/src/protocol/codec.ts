import { fromBinary, fromJsonString, toBinary, toJsonString, type DescMessage, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";

/** How a payload is encoded: protobuf binary (the default) or the protobuf JSON mapping. */
export type Encoding = "binary" | "json";

/** The `Content-Type` sent with JSON payloads. Binary payloads need none. */
export const jsonContentType = "application/json";

const binaryMediaTypes = new Set(["application/protobuf", "application/proto", "application/x-protobuf"]);
const textDecoder = new TextDecoder("utf-8", { fatal: true });
const textEncoder = new TextEncoder();

/**
 * The encoding a `Content-Type` header asks for. No header (or an empty one) means binary.
 * Throws `INVALID_ARGUMENT` for any other media type, so a caller learns what went wrong.
 */
export function encodingFromContentType(contentType: string): Encoding {
  if (contentType.trim() === "") {
    return "binary";
  }
  const encoding = encodingOfMediaType(contentType);
  if (encoding !== undefined) {
    return encoding;
  }
  throw new RpcError(
    `unsupported Content-Type "${contentType}": use application/json, or application/protobuf (the default, also when no Content-Type is set)`,
    Code.InvalidArgument,
  );
}

/**
 * The encoding of a media type (`application/json`, or a protobuf one: `application/protobuf`,
 * `application/proto`, `application/x-protobuf`), parameters such as "; charset=utf-8" aside;
 * `undefined` for any other, an empty one included.
 */
export function encodingOfMediaType(contentType: string): Encoding | undefined {
  const mediaType = contentType.split(";", 1)[0]!.trim().toLowerCase();
  if (mediaType === jsonContentType) {
    return "json";
  }
  return binaryMediaTypes.has(mediaType) ? "binary" : undefined;
}

/**
 * Encodes a message. `registry` resolves the types that JSON needs by name: the message types
 * packed in `google.protobuf.Any` fields, and extensions. Binary needs none.
 */
export function encodeMessage<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, encoding: Encoding, registry?: Registry): Uint8Array {
  return encoding === "json" ? textEncoder.encode(toJsonString(schema, message, registry === undefined ? undefined : { registry })) : toBinary(schema, message);
}

/**
 * Decodes a payload into a message, or throws `INVALID_ARGUMENT` that says what is wrong with it.
 * JSON must match the message exactly: unknown fields are an error, as a misspelt field would
 * otherwise be silently dropped. `registry` resolves `google.protobuf.Any` and extensions in JSON,
 * as for {@link encodeMessage}.
 */
export function decodeMessage<Desc extends DescMessage>(schema: Desc, payload: Uint8Array, encoding: Encoding, registry?: Registry): MessageShape<Desc> {
  try {
    if (encoding === "json") {
      return fromJsonString(schema, textDecoder.decode(payload), registry === undefined ? undefined : { registry });
    }
    return fromBinary(schema, payload);
  } catch (cause) {
    const reason = encoding === "binary" ? binaryDecodeFailure(cause) : cause instanceof Error ? cause.message : String(cause);
    throw new RpcError(`cannot decode ${schema.typeName} from ${encoding === "json" ? "JSON" : "protobuf binary"}: ${reason}`, Code.InvalidArgument, {
      cause,
    });
  }
}

/**
 * Why a binary payload could not be decoded, in words a caller can act on. protobuf-es reads
 * fixed-size values (float, double, fixed32 ...) through a `DataView`, so a payload cut short
 * inside one fails with the `DataView`'s RangeError ("Offset is outside the bounds of the
 * DataView"), which says nothing of the payload.
 */
function binaryDecodeFailure(cause: unknown): string {
  if (cause instanceof RangeError) {
    return `the payload is truncated or malformed (${cause.message})`;
  }
  return cause instanceof Error ? cause.message : String(cause);
}
