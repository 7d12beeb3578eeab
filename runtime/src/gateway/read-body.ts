import type { IncomingMessage } from "node:http";
import { gunzip, inflate } from "node:zlib";
import { promisify } from "node:util";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** A request body over the gateway's limit: answered with 413 before any call. */
export class BodyTooLarge extends RpcError {
  constructor(limit: number) {
    super(`the request body is larger than the limit of ${limit} bytes`, Code.ResourceExhausted);
  }
}

/**
 * Reads a request's whole body, at most `limit` bytes: a `Content-Length` over the limit fails at
 * once, a body that grows past it as soon as it does. A `gzip` or `deflate` body
 * (`Content-Encoding`) is decompressed, and the limit holds for what it decompresses to.
 */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"] ?? "0");
  if (declared > limit) {
    request.resume();
    throw new BodyTooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      request.resume();
      throw new BodyTooLarge(limit);
    }
    chunks.push(chunk);
  }
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const encoding = String(request.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || body.length === 0) {
    return body;
  }
  if (encoding !== "gzip" && encoding !== "deflate") {
    throw new RpcError(`unsupported Content-Encoding "${encoding}": use gzip, deflate or none`, Code.Unimplemented);
  }
  try {
    return await (encoding === "gzip" ? gunzipAsync : inflateAsync)(body, { maxOutputLength: limit });
  } catch (cause) {
    if (cause instanceof RangeError) {
      throw new BodyTooLarge(limit);
    }
    throw new RpcError(`cannot decompress the ${encoding} body: ${cause instanceof Error ? cause.message : String(cause)}`, Code.InvalidArgument, { cause });
  }
}
