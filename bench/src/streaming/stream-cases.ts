// The three ways to stream the same ticks that the streaming benchmark compares: ours (a
// server-streaming method of nats-micro-runtime, with credit-based flow control), grpc-js server
// streaming, and a raw NATS publish loop without any flow control. Each has a producer side (a
// server) and a consumer side (reads `count` ticks), run in separate processes.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Client, Server, ServerCredentials, type ServiceDefinition, type ServerWritableStream } from "@grpc/grpc-js";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { createClient, createHost } from "nats-micro-runtime";
import { once } from "node:events";
import { TickSchema, Ticks, WatchRequestSchema, type Tick, type WatchRequest } from "../../gen/bench/v1/ticks_pb.js";

export const streamCaseNames = ["ours", "grpc", "raw"] as const;
export type StreamCaseName = (typeof streamCaseNames)[number];

/** A running producer: where consumers reach it, and how to stop it. */
export interface Producer {
  readonly address: string;
  stop(): Promise<void>;
}

/** How a consumer reads: as fast as it can, or with a pause every `batch` ticks. */
export interface ReadPace {
  readonly pauseMs: number;
  readonly batch: number;
}

/** One stream of `count` ticks as a consumer saw it. */
export interface ConsumerRun {
  readonly messages: number;
  readonly payloadBytes: number;
  readonly elapsedMs: number;
}

const watchPath = "/bench.v1.Ticks/Watch";
const rawStartSubject = "bench.raw.start";
// A consumer gives up on a stream after this long: every run is bounded in time.
const consumerTimeoutMs = 120_000;

function ticksOf(request: WatchRequest): { payload: Uint8Array; count: number } {
  return { payload: new Uint8Array(request.payloadBytes).fill(7), count: request.count };
}

export async function startProducer(name: StreamCaseName, natsUrl: string): Promise<Producer> {
  switch (name) {
    case "ours": {
      const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
      const host = await createHost(nc, Ticks, {
        async *watch(request) {
          const { payload, count } = ticksOf(request);
          for (let n = 1; n <= count; n += 1) {
            yield { n: BigInt(n), payload };
          }
        },
      });
      return { address: natsUrl, stop: async () => (await host.stop(), await nc.close()) };
    }
    case "grpc": {
      const server = new Server();
      const definition: ServiceDefinition = {
        watch: {
          path: watchPath,
          requestStream: false,
          responseStream: true,
          requestSerialize: (value: WatchRequest) => Buffer.from(toBinary(WatchRequestSchema, value)),
          requestDeserialize: (bytes: Buffer) => fromBinary(WatchRequestSchema, bytes),
          responseSerialize: (value: Tick) => Buffer.from(toBinary(TickSchema, value)),
          responseDeserialize: (bytes: Buffer) => fromBinary(TickSchema, bytes),
        },
      };
      server.addService(definition, {
        watch: async (call: ServerWritableStream<WatchRequest, Tick>) => {
          const { payload, count } = ticksOf(call.request);
          for (let n = 1; n <= count; n += 1) {
            // HTTP/2's flow control: wait for the stream to drain when its buffer is full.
            if (!call.write(create(TickSchema, { n: BigInt(n), payload }))) {
              await once(call, "drain");
            }
          }
          call.end();
        },
      });
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error))),
      );
      return { address: `127.0.0.1:${port}`, stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
    }
    case "raw": {
      // As fast as nats.js publishes, without any flow control: the classic hand-written loop.
      const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
      nc.subscribe(rawStartSubject, {
        callback: (error, msg) => {
          if (error !== null) {
            return;
          }
          const request = fromBinary(WatchRequestSchema, msg.data);
          const { payload, count } = ticksOf(request);
          const subject = msg.reply!;
          for (let n = 1; n <= count; n += 1) {
            nc.publish(subject, toBinary(TickSchema, create(TickSchema, { n: BigInt(n), payload })));
          }
        },
      });
      await nc.flush();
      return { address: natsUrl, stop: () => nc.close() };
    }
  }
}

export async function consume(name: StreamCaseName, address: string, count: number, payloadBytes: number, pace: ReadPace | undefined): Promise<ConsumerRun> {
  const request = create(WatchRequestSchema, { count, payloadBytes });
  let messages = 0;
  let bytes = 0;
  let pending = 0;
  // Counts one tick, and pauses every `batch` ticks when reading slowly.
  const take = async (tick: Tick) => {
    messages += 1;
    bytes += tick.payload.length;
    if (pace !== undefined && (pending += 1) >= pace.batch) {
      pending = 0;
      await new Promise((resolve) => setTimeout(resolve, pace.pauseMs));
    }
  };
  const started = performance.now();
  const deadline = AbortSignal.timeout(consumerTimeoutMs);
  switch (name) {
    case "ours": {
      const nc = await connect({ servers: address, noAsyncTraces: true });
      try {
        const startedHere = performance.now();
        for await (const tick of createClient(nc, Ticks, process.env.STREAM_WINDOW === undefined ? {} : { streamWindow: Number(process.env.STREAM_WINDOW) }).watch(request, { signal: deadline })) {
          await take(tick);
        }
        return { messages, payloadBytes: bytes, elapsedMs: performance.now() - startedHere };
      } finally {
        await nc.close();
      }
    }
    case "grpc": {
      const client = new Client(address, (await import("@grpc/grpc-js")).credentials.createInsecure());
      try {
        const stream = client.makeServerStreamRequest(
          watchPath,
          (value: WatchRequest) => Buffer.from(toBinary(WatchRequestSchema, value)),
          (bytes: Buffer) => fromBinary(TickSchema, bytes),
          request,
        );
        deadline.addEventListener("abort", () => stream.cancel(), { once: true });
        for await (const tick of stream as AsyncIterable<Tick>) {
          await take(tick);
        }
        return { messages, payloadBytes: bytes, elapsedMs: performance.now() - started };
      } finally {
        client.close();
      }
    }
    case "raw": {
      const nc: NatsConnection = await connect({ servers: address, noAsyncTraces: true });
      try {
        const inbox = `_INBOX.raw.${process.pid}.${Date.now()}`;
        const done = new Promise<void>((resolve) => {
          nc.subscribe(inbox, {
            callback: (_error, msg) => {
              void take(fromBinary(TickSchema, msg.data));
              if (messages === count) {
                resolve();
              }
            },
          });
          deadline.addEventListener("abort", () => resolve(), { once: true });
        });
        await nc.flush();
        const startedHere = performance.now();
        nc.publish(rawStartSubject, toBinary(WatchRequestSchema, request), { reply: inbox });
        await done;
        return { messages, payloadBytes: bytes, elapsedMs: performance.now() - startedHere };
      } finally {
        await nc.close();
      }
    }
  }
}
