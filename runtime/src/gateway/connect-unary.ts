import type { DescMethod, Message, Registry } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { decodeMessage, encodingOfMediaType, type Encoding } from "../protocol/codec.js";
import { encodeErrorDetails } from "../protocol/error-details.js";
import { RpcError } from "../protocol/rpc-error.js";

/** Media types of the Connect protocol's unary form, by encoding. */
export const connectContentType: Readonly<Record<Encoding, string>> = { json: "application/json", binary: "application/proto" };

/**
 * The encoding of a Connect unary POST from its `Content-Type`: `application/json` or
 * `application/proto` (`application/protobuf` and `application/x-protobuf` too). Anything else,
 * the streaming types included, is `undefined`: the Connect protocol answers 415.
 */
export function connectEncoding(contentType: string | undefined): Encoding | undefined {
  return encodingOfMediaType(contentType ?? "");
}

/** The request of a Connect unary POST: its body in its encoding. */
export function connectPostRequest(method: DescMethod, body: Uint8Array, encoding: Encoding, registry: Registry): Message {
  return decodeMessage(method.input, body, encoding, registry);
}

/**
 * The request of a Connect unary GET (methods marked `NO_SIDE_EFFECTS`): the query's `message`
 * (base64url when `base64=1`) in the query's `encoding` (`json` or `proto`). Compressed messages
 * are not taken.
 */
export function connectGetRequest(method: DescMethod, query: string, registry: Registry): { message: Message; encoding: Encoding } {
  const parameters = new URLSearchParams(query);
  const encodingName = parameters.get("encoding");
  const encoding: Encoding | undefined = encodingName === "json" ? "json" : encodingName === "proto" ? "binary" : undefined;
  if (encoding === undefined) {
    throw new RpcError(`the query parameter "encoding" must be json or proto, got ${encodingName === null ? "none" : `"${encodingName}"`}`, Code.InvalidArgument);
  }
  const compression = parameters.get("compression");
  if (compression !== null && compression !== "identity") {
    throw new RpcError(`compression "${compression}" is not supported in GET requests: use identity`, Code.Unimplemented);
  }
  const text = parameters.get("message") ?? "";
  const payload = parameters.get("base64") === "1" ? Buffer.from(text, "base64url") : Buffer.from(text, "utf8");
  return { message: decodeMessage(method.input, payload, encoding, registry), encoding };
}

/** The JSON body of a Connect error: `{"code": "invalid_argument", "message": "...", "details": [...]}`. */
export function connectErrorBody(error: RpcError): Uint8Array {
  return encodeErrorDetails(error.code, error.rawMessage, error.details, "json");
}
