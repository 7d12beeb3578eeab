import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** Where the mirror listens. */
export interface MirrorOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

/** A running mirror. */
export interface Mirror {
  /** `http://host:port`. */
  readonly url: string;
  /** Stops listening and ends the downloads under way. */
  close(): Promise<void>;
}

/** The largest file the mirror serves. */
export const maxMirrorFileBytes = 1024 ** 3;

const chunkBytes = 64 * 1024;

/**
 * The bytes of the mirror's file `name` of `size` bytes, as `GET /files/<name>?size=<size>`
 * serves them: a pseudo-random sequence seeded by the name, the same on every run, so that a
 * test can check a downloaded file byte for byte.
 */
export function mirrorContent(name: string, size: number, offset = 0): Buffer {
  const seed = fnv1a(name);
  const bytes = Buffer.allocUnsafe(size);
  for (let index = 0; index < size; index++) {
    const position = offset + index;
    bytes[index] = (mix(seed + Math.floor(position / 4)) >>> ((position % 4) * 8)) & 0xff;
  }
  return bytes;
}

/**
 * A local HTTP file server to download from, so that the example and its tests never reach the
 * internet. `GET /files/<name>` serves {@link mirrorContent} with a `Content-Length`; its query
 * says how:
 *
 * - `size=BYTES`: the file's size (1 MiB unless set; at most 1 GiB);
 * - `rate=BYTES_PER_SECOND`: sends it slowly;
 * - `fail=N`: the first N requests of this URL are answered 503, the next ones served;
 *   `fail=always`: every request is answered 503.
 *
 * `GET /healthz` is 200. Anything else is 404; a bad query is 400.
 */
export async function startMirror(options: MirrorOptions): Promise<Mirror> {
  // Requests seen so far of each URL, for fail=N.
  const seen = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    serveRequest(request, response, seen).catch(() => response.destroy());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serveRequest(request: IncomingMessage, response: ServerResponse, seen: Map<string, number>): Promise<void> {
  const url = new URL(request.url ?? "/", "http://mirror");
  if (url.pathname === "/healthz") {
    response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    return;
  }
  const name = /^\/files\/([A-Za-z0-9._-]{1,200})$/.exec(url.pathname)?.[1];
  if (name === undefined || (request.method !== "GET" && request.method !== "HEAD")) {
    response.writeHead(404, { "content-type": "text/plain" }).end("not found: GET /files/<name>?size=BYTES[&rate=BYTES_PER_SECOND][&fail=N|always]\n");
    return;
  }
  const size = integerParameter(url, "size", 1024 * 1024);
  const rate = integerParameter(url, "rate", 0);
  const fail = url.searchParams.get("fail");
  if (size === undefined || size > maxMirrorFileBytes || rate === undefined || (fail !== null && fail !== "always" && !/^\d{1,6}$/.test(fail))) {
    response.writeHead(400, { "content-type": "text/plain" }).end(`bad query: size 0 to ${maxMirrorFileBytes}, rate and fail (a count or "always") whole numbers\n`);
    return;
  }
  const key = `${url.pathname}${url.search}`;
  const count = (seen.get(key) ?? 0) + 1;
  seen.set(key, count);
  if (fail === "always" || (fail !== null && count <= Number(fail))) {
    response.writeHead(503, { "content-type": "text/plain", "retry-after": "1" }).end(`failing on purpose (request ${count} of this URL)\n`);
    return;
  }
  response.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(size) });
  if (request.method === "HEAD") {
    response.end();
    return;
  }
  // At a rate: chunks of a tenth of a second's worth, each after its time.
  const chunk = rate > 0 ? Math.max(1, Math.min(chunkBytes, Math.floor(rate / 10))) : chunkBytes;
  const startedAt = Date.now();
  for (let offset = 0; offset < size && !response.destroyed; offset += chunk) {
    const length = Math.min(chunk, size - offset);
    if (!response.write(mirrorContent(name, length, offset))) {
      await new Promise((resolve) => response.once("drain", resolve).once("close", resolve));
    }
    if (rate > 0) {
      const due = startedAt + ((offset + length) / rate) * 1000;
      await sleep(Math.max(0, due - Date.now()));
    }
  }
  response.end();
}

function integerParameter(url: URL, name: string, fallback: number): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null) {
    return fallback;
  }
  return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  return hash >>> 0;
}

// murmur3's finaliser: a well-spread 32-bit value for each 4-byte word of a file.
function mix(value: number): number {
  let hash = value >>> 0;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
