// Streams through a cluster whose members go (docs/protocol.md, "Heartbeats and liveness"): the
// caller on one member, the host on another; killing either member ends the stream cleanly on
// both sides, within the liveness bound, and a new stream works once the connections are back.
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, RpcError, type ServiceHost } from "nats-micro-runtime";
import { serveStreams, StreamsClient } from "../gen/testing/streams/v1/streams_nats.js";
import { startNatsCluster, waitUntil, type NatsCluster } from "../helpers/nats-cluster.js";
import { createStreamsHandlers, type StreamsState } from "../helpers/streams-handlers.js";

const heartbeatMs = 200;
// Dead after three silent intervals, told at the next check (half an interval), plus slack for a loaded machine.
const livenessBoundMs = 4 * heartbeatMs + 1_000;
const reconnect = { reconnectTimeWait: 100, reconnectJitter: 0, maxReconnectAttempts: -1 } as const;

let cluster: NatsCluster;
let hostConnection: NatsConnection;
let clientConnection: NatsConnection;
let host: ServiceHost;
let state: StreamsState;

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  const [first, second, third] = cluster.members.map((member) => member.url) as [string, string, string];
  hostConnection = await connect({ servers: [second, third], noRandomize: true, ...reconnect });
  clientConnection = await connect({ servers: [first, third], noRandomize: true, ...reconnect });
  state = createStreamsHandlers();
  host = await serveStreams(hostConnection, state.handlers);
}, 30_000);

afterAll(async () => {
  await host?.stop();
  await Promise.all([hostConnection, clientConnection].map((connection) => connection?.close()));
  await cluster?.stop();
});

const client = () => new StreamsClient(clientConnection, { streamHeartbeatMs: heartbeatMs });

async function streamUntilFailure(onItem: (n: number) => Promise<void> | void): Promise<{ failure: RpcError; received: number[]; failedAt: number }> {
  const received: number[] = [];
  try {
    for await (const item of client().count({ count: 1_000_000, intervalMs: 5 })) {
      received.push(item.n);
      await onItem(item.n);
    }
  } catch (error) {
    if (error instanceof RpcError) {
      return { failure: error, received, failedAt: performance.now() };
    }
    throw error;
  }
  throw new Error("the stream ended without a failure");
}

async function streamWorks(): Promise<boolean> {
  try {
    let count = 0;
    for await (const _ of client().count({ count: 3 })) {
      count += 1;
    }
    return count === 3;
  } catch {
    return false;
  }
}

test("killing the caller's member fails the stream at once with unavailable, and the handler is told", async () => {
  await waitUntil("a stream to work across the cluster", streamWorks, 10_000);
  const victim = cluster.members[0]!;
  const aborted = state.nextAbort();
  let killedAt = 0;
  const { failure, received, failedAt } = await streamUntilFailure(async (n) => {
    if (n === 5) {
      killedAt = performance.now();
      await victim.kill();
    }
  });
  expect(failure.code).toBe(Code.Unavailable);
  expect(received.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
  expect(failedAt - killedAt).toBeLessThan(livenessBoundMs);
  // The host hears nothing more from the caller: its handler is stopped within the bound.
  expect((await aborted).code).toBe(Code.Unavailable);
  expect(performance.now() - killedAt).toBeLessThan(livenessBoundMs + 1_000);
  await victim.start();
  await waitUntil("a new stream to work", streamWorks, 10_000);
}, 30_000);

test("killing the host's member fails the stream with unavailable within the liveness bound", async () => {
  await waitUntil("a stream to work across the cluster", streamWorks, 10_000);
  const victim = cluster.members[1]!;
  expect(hostConnection.getServer()).toBe(`127.0.0.1:${victim.ports.client}`);
  const aborted = state.nextAbort();
  let killedAt = 0;
  const { failure, failedAt } = await streamUntilFailure(async (n) => {
    if (n === 5) {
      killedAt = performance.now();
      await victim.kill();
    }
  });
  expect(failure.code).toBe(Code.Unavailable);
  expect(failedAt - killedAt).toBeLessThan(livenessBoundMs);
  // The host lost its connection: it stopped the handler.
  expect((await aborted).code).toBe(Code.Unavailable);
  await victim.start();
  await waitUntil("a new stream to work", streamWorks, 15_000);
}, 40_000);
