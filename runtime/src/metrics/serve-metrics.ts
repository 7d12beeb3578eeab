import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Where metrics come from: a prom-client `Registry`, or anything with the same two members, such
 * as a cluster primary's view of its workers' metrics.
 */
export interface MetricsSource {
  /** The metrics in Prometheus's text exposition format. */
  metrics(): Promise<string>;
  /** The Content-Type of that text. */
  readonly contentType: string;
}

/** Options of {@link serveMetrics}. */
export interface ServeMetricsOptions {
  /** TCP port; `0` lets the operating system pick a free one. */
  port: number;
  /**
   * Address to listen on: `127.0.0.1` by default, so that metrics are not exposed beyond the
   * machine unless asked for (`0.0.0.0` for a scraper elsewhere).
   */
  host?: string;
}

/** A running metrics endpoint. */
export interface MetricsEndpoint {
  /** `http://<host>:<port>/metrics`, with the port actually bound. */
  readonly url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Serves a registry's metrics over HTTP for Prometheus: `GET /metrics` answers the text
 * exposition format, anything else 404 (405 for other methods on `/metrics`).
 *
 * @example
 * const metrics = createRpcMetrics({ processMetrics: true });
 * const endpoint = await serveMetrics(metrics.registry, { port: 9464 });
 * // ... scrape endpoint.url ...
 * await endpoint.close();
 */
export async function serveMetrics(registry: MetricsSource, options: ServeMetricsOptions): Promise<MetricsEndpoint> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer((request, response) => {
    const path = (request.url ?? "").split("?", 1)[0];
    if (path !== "/metrics") {
      response.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found: metrics are at /metrics\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" }).end("method not allowed\n");
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { "Content-Type": registry.contentType });
        response.end(request.method === "HEAD" ? undefined : text);
      },
      (reason: unknown) => {
        // A collector that throws must not take the process down; the scrape fails visibly.
        response.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" }).end(`collecting metrics failed: ${String(reason)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // IPv6 addresses go in brackets in a URL.
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Keep-alive connections of a scraper would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}
