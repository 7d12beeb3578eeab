import type { IncomingMessage, ServerResponse } from "node:http";
import { brotliCompress, constants, gzip } from "node:zlib";
import { promisify } from "node:util";

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

// Brotli at quality 4 compresses JSON about as well as gzip at 6, and faster: a gateway answers
// many requests a second (the default of 11 is for static files compressed once).
const brotliOptions = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };

/**
 * Sends a response body, compressed with brotli or gzip when the client accepts it and the body
 * is at least `compressMinBytes` long (smaller ones gain nothing for the time).
 */
export async function sendResponse(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string | Uint8Array,
  compressMinBytes: number,
): Promise<void> {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const coding = bytes.length >= compressMinBytes ? acceptedCoding(request.headers["accept-encoding"]) : undefined;
  if (coding === undefined) {
    response.writeHead(status, { "Content-Type": contentType, "Content-Length": bytes.length }).end(bytes);
    return;
  }
  const compressed = coding === "br" ? await brotliAsync(bytes, brotliOptions) : await gzipAsync(bytes);
  response.writeHead(status, { "Content-Type": contentType, "Content-Encoding": coding, "Content-Length": compressed.length, Vary: "Accept-Encoding" }).end(compressed);
}

// The coding to use of those the client accepts: brotli before gzip; q=0 refuses one.
function acceptedCoding(acceptEncoding: string | undefined): "br" | "gzip" | undefined {
  if (acceptEncoding === undefined) {
    return undefined;
  }
  const accepted = new Set<string>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...parameters] = part.trim().toLowerCase().split(";");
    const refused = parameters.some((parameter) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(parameter));
    if (name !== undefined && name !== "" && !refused) {
      accepted.add(name);
    }
  }
  return accepted.has("br") ? "br" : accepted.has("gzip") || accepted.has("*") ? "gzip" : undefined;
}
