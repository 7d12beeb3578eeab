import type { IncomingHttpHeaders } from "node:http";
import { Code } from "../protocol/code.js";
import { HeaderName } from "../protocol/header-name.js";
import { RpcError } from "../protocol/rpc-error.js";

/**
 * Request headers a gateway passes on to the service by default: credentials, the request id and
 * the W3C trace context. Others are the HTTP connection's business, not the service's.
 */
export const defaultForwardedHeaders: readonly string[] = ["authorization", "cookie", "x-request-id", "traceparent", "tracestate", "baggage", "idempotency-key"];

// Reply headers that describe the NATS reply or the HTTP connection, never passed back to the HTTP client.
const hopHeaders = new Set(["content-type", "content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive", "trailer", "upgrade"]);

// Lower case, as Headers gives names.
const httpStatusHeader = HeaderName.HttpStatus.toLowerCase();

/**
 * The headers of a NATS request from an HTTP request: the allowed ones (names lower case), the
 * request id, and `X-Forwarded-For` with the client's address. A plain record, which the call
 * turns into NATS headers in one step.
 */
export function forwardedHeaders(headers: IncomingHttpHeaders, allowed: readonly string[], remoteAddress: string | undefined, requestId: string): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const name of allowed) {
    const value = headers[name];
    if (typeof value === "string") {
      forwarded[name] = value;
    } else if (Array.isArray(value)) {
      forwarded[name] = value.join(", ");
    }
  }
  forwarded["x-request-id"] = requestId;
  if (remoteAddress !== undefined) {
    const earlier = headers["x-forwarded-for"];
    forwarded["x-forwarded-for"] = typeof earlier === "string" && earlier !== "" ? `${earlier}, ${remoteAddress}` : remoteAddress;
  }
  return forwarded;
}

/**
 * The reply headers of a call that go back to the HTTP client: the handler's own, without the
 * protocol's (`Nats-*`) and those of the connection.
 */
export function returnedHeaders(reply: Headers | undefined): Array<[string, string]> {
  const returned: Array<[string, string]> = [];
  reply?.forEach((value, name) => {
    if (!name.startsWith("nats-") && !hopHeaders.has(name)) {
      returned.push([name, value]);
    }
  });
  return returned;
}

/** The success status a handler chose with `HeaderName.HttpStatus`: a 2xx status with a body, else 200. */
export function successStatus(reply: Headers | undefined): number {
  const value = reply?.get(httpStatusHeader) ?? null;
  if (value === null) {
    return 200;
  }
  const status = Number(value);
  return Number.isInteger(status) && status >= 200 && status <= 299 && status !== 204 && status !== 205 ? status : 200;
}

const grpcTimeoutUnits: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/**
 * The deadline an HTTP request asks for, in milliseconds: `Connect-Timeout-Ms`, `Grpc-Timeout`
 * (`100m`, `5S`, ...) or `X-Server-Timeout` (seconds, as grpc-gateway reads it), the first found;
 * `undefined` when it sets none. A malformed value is `invalid_argument`.
 */
export function requestedTimeoutMs(headers: IncomingHttpHeaders): number | undefined {
  const connect = headers["connect-timeout-ms"];
  if (typeof connect === "string") {
    if (!/^\d{1,10}$/.test(connect.trim())) {
      throw new RpcError(`invalid Connect-Timeout-Ms "${connect}": expected whole milliseconds`, Code.InvalidArgument);
    }
    return Number(connect.trim());
  }
  const grpc = headers["grpc-timeout"];
  if (typeof grpc === "string") {
    const match = /^(\d{1,8})([HMSmun])$/.exec(grpc.trim());
    if (match === null) {
      throw new RpcError(`invalid Grpc-Timeout "${grpc}": expected up to 8 digits and a unit (H, M, S, m, u, n), such as 500m`, Code.InvalidArgument);
    }
    return Math.ceil(Number(match[1]) * grpcTimeoutUnits[match[2]!]!);
  }
  const server = headers["x-server-timeout"];
  if (typeof server === "string") {
    const seconds = Number(server.trim());
    if (server.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
      throw new RpcError(`invalid X-Server-Timeout "${server}": expected seconds, such as 1.5`, Code.InvalidArgument);
    }
    return Math.ceil(seconds * 1000);
  }
  return undefined;
}
