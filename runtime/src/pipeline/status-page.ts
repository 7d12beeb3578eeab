import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { InfoResponse, StatsResponse } from "../host/micro-discovery.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { requestEveryInstance } from "../transport/nats/request-every-instance.js";
import { statusPageHtml } from "./status-page-html.js";
import { instanceKey, stopEndpointsOf, summarizeStops, type PipelineStatus } from "./status-page-snapshot.js";

/** Options of {@link serveStatusPage}. */
export interface StatusPageOptions {
  /** TCP port; `0` (the default) lets the operating system pick a free one. */
  port?: number;
  /** Address to listen on: `127.0.0.1` unless set, so that the page stays on the machine unless asked. */
  host?: string;
  /** Show only the stops on this pipeline's declared route; every stop on the account unless set. */
  pipeline?: string;
  /** Stop names to list first, in this order (a route); the others follow by name. */
  order?: readonly string[];
  /** How often the instances are asked for their stats, in milliseconds. Default: 1000. */
  intervalMs?: number;
  /** How long to wait for the first instance to answer each time, in milliseconds. Default: 1000. */
  waitMs?: number;
  /** Browsers following the live updates at once; more get 503. Default: 32. */
  maxClients?: number;
  /** The page's heading. */
  title?: string;
}

/** A running status page. */
export interface StatusPage {
  /** `http://<host>:<port>/`, with the port actually bound. */
  readonly url: string;
  /** What the page shows now: the last answer of the instances. */
  status(): PipelineStatus & { readonly error?: string };
  /** Stops asking the instances, ends the live updates and closes the server. */
  close(): Promise<void>;
}

/** How long to wait for more discovery replies once one has come: instances answer within milliseconds of each other. */
const quietPeriodMs = 200;

/**
 * How long an instance that did not answer keeps its last counters on the page: a busy instance
 * whose reply came after the others' is not taken for gone (its counts would drop, then come
 * back); one that is gone leaves the sums after this.
 */
const missingGraceMs = (intervalMs: number) => Math.max(2_000, 3 * intervalMs);

/** A browser that lets this much of the live updates pile up unread is cut off rather than buffered for. */
const maxUnsentBytes = 1 << 20;

/**
 * Serves a live status page of the pipeline stops that answer `$SRV` discovery on `nc`'s account
 * (docs/pipelines.md): per stop, the counters of `data.pipeline` in its `$SRV.STATS` summed over its
 * instances, and their latency. One loop asks every `intervalMs`; the answer goes to every browser
 * on the page through Server-Sent Events. An instance that misses a poll keeps its last counters
 * until it has been silent for three polls (at least 2 s), so that a slow reply does not make the
 * sums jump.
 *
 * - `GET /`: the page (self-contained HTML).
 * - `GET /status.json`: the last answer as JSON ({@link PipelineStatus}, plus `error` when asking failed).
 * - `GET /events`: `status` events with the same JSON, one per poll; 503 beyond `maxClients`.
 *
 * The connection stays the caller's: close the page, then the connection.
 *
 * @example
 * const page = await serveStatusPage(nc, { port: 8090, pipeline: "Notify" });
 * console.log(`status page at ${page.url}`);
 * // ...
 * await page.close();
 */
export async function serveStatusPage(nc: NatsConnection, options: StatusPageOptions = {}): Promise<StatusPage> {
  const host = options.host ?? "127.0.0.1";
  const intervalMs = positive(options.intervalMs, 1_000, "intervalMs");
  const waitMs = positive(options.waitMs, 1_000, "waitMs");
  const maxClients = positive(options.maxClients, 32, "maxClients");
  const title = options.title ?? (options.pipeline === undefined ? "Pipeline stops" : `Pipeline ${options.pipeline}`);
  const summarizeOptions = {
    ...(options.pipeline === undefined ? {} : { pipeline: options.pipeline }),
    ...(options.order === undefined ? {} : { order: options.order }),
  };

  // The stop endpoints of each instance seen, from its $SRV.INFO: asked once per new instance.
  const stopsByInstance = new Map<string, ReturnType<typeof stopEndpointsOf>>();
  // The last $SRV.STATS reply of each instance, and when it came.
  const lastStats = new Map<string, { reply: StatsResponse; at: number }>();
  const graceMs = missingGraceMs(intervalMs);
  let latest: PipelineStatus & { error?: string } = summarizeStops([], stopsByInstance, summarizeOptions);
  const clients = new Set<ServerResponse>();

  const poll = async () => {
    try {
      const now = Date.now();
      for (const reply of (await requestEveryInstance(nc, "$SRV.STATS", waitMs, quietPeriodMs)).filter(isStatsResponse)) {
        lastStats.set(instanceKey(reply), { reply, at: now });
      }
      for (const [key, { at }] of lastStats) {
        if (now - at > graceMs) {
          lastStats.delete(key);
          stopsByInstance.delete(key);
        }
      }
      if ([...lastStats.keys()].some((key) => !stopsByInstance.has(key))) {
        // One request for all: instances that came since the last poll answer with the others.
        for (const info of (await requestEveryInstance(nc, "$SRV.INFO", waitMs, quietPeriodMs)).filter(isInfoResponse)) {
          if (lastStats.has(instanceKey(info))) {
            stopsByInstance.set(instanceKey(info), stopEndpointsOf(info));
          }
        }
      }
      latest = summarizeStops(
        [...lastStats.values()].map(({ reply }) => reply),
        stopsByInstance,
        summarizeOptions,
      );
    } catch (error) {
      // The last counters stay on the page, with the reason they are not fresh.
      latest = { ...latest, error: `asking the instances failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    broadcast();
  };

  const broadcast = () => {
    const event = `event: status\ndata: ${JSON.stringify(latest)}\n\n`;
    for (const client of clients) {
      if (client.writableLength > maxUnsentBytes) {
        client.destroy();
        continue;
      }
      client.write(event);
    }
  };

  // The one poll loop: ask, wait out the period (cut short by close), again.
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = async () => {
    while (!stopped) {
      await poll();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };

  const server = createServer((request, response) => {
    handle(request, response);
  });
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? "/").split("?", 1)[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" }).end("method not allowed\n");
      return;
    }
    switch (path) {
      case "/": {
        const nonce = randomBytes(16).toString("base64");
        response.writeHead(200, {
          "Content-Type": "text/html; charset=utf-8",
          "Cache-Control": "no-store",
          // Only the page's own inline script and style run, and it talks to this server only.
          "Content-Security-Policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'`,
        });
        response.end(request.method === "HEAD" ? undefined : statusPageHtml(title, nonce));
        return;
      }
      case "/status.json":
        response.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
        response.end(request.method === "HEAD" ? undefined : JSON.stringify(latest));
        return;
      case "/events":
        if (clients.size >= maxClients || stopped) {
          response.writeHead(503, { "Retry-After": "5", "Content-Type": "text/plain; charset=utf-8" }).end(`too many live clients (at most ${maxClients})\n`);
          return;
        }
        response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store", Connection: "keep-alive" });
        if (request.method === "HEAD") {
          response.end();
          return;
        }
        clients.add(response);
        response.on("close", () => clients.delete(response));
        // How long a browser waits before it reconnects, then what there is now.
        response.write(`retry: 2000\nevent: status\ndata: ${JSON.stringify(latest)}\n\n`);
        return;
      default:
        response.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found: the page is at /, its data at /status.json and /events\n");
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const running = loop();
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/`,
    status: () => latest,
    close: () =>
      (closing ??= (async () => {
        stopped = true;
        wake?.();
        await running;
        for (const client of clients) {
          client.end();
        }
        clients.clear();
        await new Promise<void>((resolve, reject) => {
          server.close((error) => (error === undefined ? resolve() : reject(error)));
          // Live update streams and keep-alive connections would hold close() open.
          server.closeAllConnections();
        });
      })()),
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`status page: ${name} must be a number above zero, got ${value}`);
  }
  return value;
}

function isStatsResponse(reply: unknown): reply is StatsResponse {
  return isReply(reply) && (reply as { type?: unknown }).type === "io.nats.micro.v1.stats_response";
}

function isInfoResponse(reply: unknown): reply is InfoResponse {
  return isReply(reply) && (reply as { type?: unknown }).type === "io.nats.micro.v1.info_response";
}

function isReply(reply: unknown): boolean {
  return typeof reply === "object" && reply !== null && typeof (reply as { id?: unknown }).id === "string" && typeof (reply as { name?: unknown }).name === "string";
}
