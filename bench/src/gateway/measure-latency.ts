import { connect } from "@nats-io/transport-node";
import { Client } from "undici";
import { percentile } from "../statistics.js";
import { createFootballClient, footballPath, footballRequest, footballRequestBody } from "./football-example.js";

/** The latency of one way of calling Predict, one call in flight. */
export interface PathLatency {
  path: string;
  calls: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/** Where the one-in-flight calls go. */
export interface LatencyTargets {
  natsUrl: string;
  /** The gateway's origin, `http://127.0.0.1:PORT`. */
  gatewayOrigin: string;
  fastifyOrigin: string;
  /** Calls per path, after as many warm-up calls as a tenth of them (at least 100). */
  calls: number;
}

/** The names of the paths, as the report shows them. */
export const latencyPaths = {
  nats: "NATS: generated FootballClient",
  gateway: "HTTP: gateway -> NATS -> worker",
  fastify: "HTTP: fastify, one process",
} as const;

// Calls per path in a row before the next path takes its turn: short enough that a busy moment
// of the machine falls on every path alike.
const blockCalls = 100;

/**
 * Calls Predict one call at a time through the generated client over NATS, through the gateway
 * over HTTP and on fastify over HTTP (undici, one keep-alive connection per origin), the paths
 * taking turns in blocks, and gives each path's latency percentiles. Every reply is checked.
 */
export async function measureLatency(targets: LatencyTargets): Promise<PathLatency[]> {
  const nc = await connect({ servers: targets.natsUrl, name: "bench-gateway-latency" });
  const gateway = new Client(targets.gatewayOrigin, { pipelining: 1, keepAliveTimeout: 60_000 });
  const fastify = new Client(targets.fastifyOrigin, { pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    const football = await createFootballClient(nc);
    const callers: [string, () => Promise<void>][] = [
      [
        latencyPaths.nats,
        async () => {
          const reply = await football.predict(footballRequest);
          if (reply.gameId !== footballRequest.gameId || !(reply.draw > 0)) {
            throw new Error(`unexpected reply over NATS: ${JSON.stringify(reply)}`);
          }
        },
      ],
      [latencyPaths.gateway, () => postFootball(gateway)],
      [latencyPaths.fastify, () => postFootball(fastify)],
    ];
    const warmupCalls = Math.max(100, Math.floor(targets.calls / 10));
    for (const [, call] of callers) {
      for (let index = 0; index < warmupCalls; index++) {
        await call();
      }
    }
    const samples = callers.map(() => new Float64Array(targets.calls));
    for (let done = 0, round = 0; done < targets.calls; done += blockCalls, round++) {
      const count = Math.min(blockCalls, targets.calls - done);
      for (let turn = 0; turn < callers.length; turn++) {
        // The order turns by one each round.
        const index = (turn + round) % callers.length;
        const call = callers[index]![1];
        const own = samples[index]!;
        for (let offset = 0; offset < count; offset++) {
          const start = performance.now();
          await call();
          own[done + offset] = performance.now() - start;
        }
      }
    }
    return callers.map(([path], index) => {
      const sorted = samples[index]!.sort();
      return {
        path,
        calls: sorted.length,
        p50Ms: percentile(sorted, 0.5),
        p99Ms: percentile(sorted, 0.99),
        meanMs: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
      };
    });
  } finally {
    await Promise.all([gateway.close(), fastify.close()]);
    await nc.close();
  }
}

// One POST of the seed's body; undici's timeouts bound it.
async function postFootball(client: Client): Promise<void> {
  const response = await client.request({
    path: footballPath,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: footballRequestBody,
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200 || !text.includes('"game_id":"x"')) {
    throw new Error(`unexpected HTTP reply: ${response.statusCode} ${text}`);
  }
}
