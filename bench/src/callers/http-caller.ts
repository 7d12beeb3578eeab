import { Pool } from "undici";
import { checkScore, scorePath, scoreRequestInit } from "../bench-messages.js";
import { requestTimeoutMs, type Caller } from "./caller.js";

/** Most connections the HTTP/1.1 pool opens: one per request in flight, at the largest setting. */
const maxConnections = 128;

/** undici's pool over keep-alive HTTP/1.1 connections, POSTing the request as JSON. */
export async function createHttpCaller(origin: string): Promise<Caller> {
  const pool = new Pool(origin, { connections: maxConnections, pipelining: 1, keepAliveTimeout: 60_000 });
  return {
    async call() {
      const response = await pool.request({
        path: scorePath,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(scoreRequestInit),
        headersTimeout: requestTimeoutMs,
        bodyTimeout: requestTimeoutMs,
      });
      if (response.statusCode !== 200) {
        throw new Error(`HTTP ${response.statusCode}: ${await response.body.text()}`);
      }
      checkScore((await response.body.json()) as { id: string; total: number; count: number });
    },
    close: () => pool.close(),
  };
}
