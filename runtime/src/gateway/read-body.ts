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
  const body = await collectBody(request, limit);
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
    // zlib's error for output past maxOutputLength (by code: an error of another realm is no instanceof RangeError).
    if ((cause as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new BodyTooLarge(limit);
    }
    throw new RpcError(`cannot decompress the ${encoding} body: ${cause instanceof Error ? cause.message : String(cause)}`, Code.InvalidArgument, { cause });
  }
}

// Events rather than `for await`: an async iterator costs several microseconds a request, and a
// gateway reads thousands of bodies a second.
function collectBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off("data", onData);
        request.resume();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    request.on("data", onData);
    request.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    request.once("error", reject);
  });
}
