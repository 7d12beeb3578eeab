import type { IncomingMessage, ServerResponse } from "node:http";

/** Cross-origin requests a gateway allows (the Fetch standard's CORS protocol). */
export interface CorsOptions {
  /** Origins allowed to call, such as `https://app.example.com`; `*` allows every origin (without credentials). */
  readonly origins: readonly string[];
  /** How long a browser may cache a preflight's answer, in seconds; 600 by default. */
  readonly maxAgeSeconds?: number;
}

// Headers a browser may send: the ones Connect and gRPC-web clients use, and credentials.
const allowedRequestHeaders = "Content-Type, Authorization, Connect-Protocol-Version, Connect-Timeout-Ms, Grpc-Timeout, X-Server-Timeout, X-Request-Id, X-User-Agent, traceparent, tracestate";
const exposedResponseHeaders = "X-Request-Id, Grpc-Status, Grpc-Message, Retry-After";

/**
 * Sets the CORS headers of a response to an allowed origin; returns whether the origin (if any)
 * is allowed. A request without `Origin` is not cross-origin and always allowed.
 */
export function applyCors(cors: CorsOptions | undefined, request: IncomingMessage, response: ServerResponse): boolean {
  const origin = request.headers.origin;
  if (origin === undefined || cors === undefined) {
    return origin === undefined;
  }
  const any = cors.origins.includes("*");
  if (!any && !cors.origins.includes(origin)) {
    return false;
  }
  response.setHeader("Access-Control-Allow-Origin", any ? "*" : origin);
  if (!any) {
    response.setHeader("Access-Control-Allow-Credentials", "true");
    response.setHeader("Vary", "Origin");
  }
  response.setHeader("Access-Control-Expose-Headers", exposedResponseHeaders);
  return true;
}

/** Answers a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`): 204 for an allowed origin and method, 403 otherwise. */
export function answerPreflight(cors: CorsOptions | undefined, request: IncomingMessage, response: ServerResponse, allowedMethods: readonly string[]): void {
  const method = String(request.headers["access-control-request-method"] ?? "").toUpperCase();
  if (!applyCors(cors, request, response) || !allowedMethods.includes(method)) {
    response.writeHead(403, { "Content-Type": "text/plain" }).end("CORS preflight refused: origin or method not allowed\n");
    return;
  }
  response.setHeader("Access-Control-Allow-Methods", allowedMethods.join(", "));
  response.setHeader("Access-Control-Allow-Headers", String(request.headers["access-control-request-headers"] ?? allowedRequestHeaders));
  response.setHeader("Access-Control-Max-Age", String(cors?.maxAgeSeconds ?? 600));
  response.writeHead(204).end();
}

/** Whether the request is a CORS preflight. */
export function isPreflight(request: IncomingMessage): boolean {
  return request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined;
}
