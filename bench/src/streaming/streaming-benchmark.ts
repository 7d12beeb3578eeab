// The streaming benchmark (`npm run bench:streaming`, and `npm run bench` with --streaming):
// server streaming of small messages, measured at the consumer as messages/s, by ours (a
// server-streaming method of nats-micro-runtime, credit-based flow control) against grpc-js
// server streaming and against a raw NATS publish loop without flow control, in interleaved
// rounds of the same run; then the memory of a consumer 100x slower than the producer. A
// producer and a consumer process per case; the nats-server is the benchmark's own, on 127.0.0.1.
import type { ChildProcess } from "node:child_process";
import { forkQuietly } from "../bench-processes.js";
import type { Stoppable } from "../gateway/gateway-benchmark.js";
import { startBenchNatsServer } from "../start-nats-server.js";
import type { StandaloneBenchmark } from "../standalone-benchmark.js";
import { spreadOf, type Spread } from "../statistics.js";
import { streamCaseNames, type ConsumerRun, type StreamCaseName } from "./stream-cases.js";

/** What the benchmark does; every count and duration is a bound. */
export interface StreamingBenchmarkOptions {
  /** Ticks per stream. */
  count: number;
  /** Bytes of payload per tick. */
  payloadBytes: number;
  /** Interleaved rounds of every case. */
  rounds: number;
  /** How long the slow consumer reads (0: no memory check). */
  slowReadMs: number;
}

/** The figures of one case over the rounds. */
export interface StreamCaseResult {
  name: StreamCaseName;
  messagesPerSecond: Spread;
  megabytesPerSecond: Spread;
  /** Rounds in which the consumer got fewer ticks than were sent (a raw loop may lose them). */
  incompleteRounds: number;
}

/** The memory of a slow consumer of ours and of its producer, sampled every second after a full collection. */
export interface SlowConsumerResult {
  readMessagesPerSecond: number;
  producerMessagesPerSecond: number;
  consumerRssMb: { first: number; max: number; last: number };
  /** The JavaScript heap in use after a full collection: what the reader holds. */
  consumerHeapMb: { first: number; max: number; last: number };
  producerRssMb: { first: number; max: number; last: number };
  producerHeapMb: { first: number; max: number; last: number };
}

export interface StreamingBenchmark {
  natsServerVersion: string;
  options: StreamingBenchmarkOptions;
  cases: StreamCaseResult[];
  slowConsumer: SlowConsumerResult | undefined;
}

const readyTimeoutMs = 15_000;

/** One reading of a process's memory, in bytes. */
interface MemorySample {
  rss: number;
  heap: number;
}

interface PeerMessage {
  type: string;
  address?: string;
  bytes?: number;
  heap?: number;
  message?: string;
}

// Starts a producer process and resolves once it serves.
async function startProducerProcess(name: StreamCaseName, natsUrl: string, execArgv: string[] = []): Promise<{ child: ChildProcess; address: string; stop(): Promise<void> }> {
  const child = forkQuietly("./stream-peer.js", ["producer", name, natsUrl], execArgv, import.meta.url);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.send({ type: "exit" });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${name} producer was not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    child.on("message", (message: PeerMessage) => {
      if (message.type === "ready") {
        clearTimeout(timer);
        resolve(message.address!);
      } else if (message.type === "failed") {
        clearTimeout(timer);
        reject(new Error(`the ${name} producer failed: ${message.message}`));
      }
    });
    child.once("exit", (code) => reject(new Error(`the ${name} producer exited with ${code}`)));
  }).catch(async (error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  return { child, address, stop };
}

// Runs a consumer process for one stream; `onRss` hears its memory every second.
async function runConsumerProcess(name: StreamCaseName, address: string, options: StreamingBenchmarkOptions, pace?: { pauseMs: number; batch: number }, onMemory?: (sample: MemorySample) => void): Promise<ConsumerRun> {
  const args = ["consumer", name, address, String(options.count), String(options.payloadBytes), ...(pace === undefined ? [] : [String(pace.pauseMs), String(pace.batch)])];
  // The slow reader's memory is read after full collections.
  const child = forkQuietly("./stream-peer.js", args, pace === undefined ? [] : ["--expose-gc"], import.meta.url);
  return new Promise<ConsumerRun>((resolve, reject) => {
    child.on("message", (message: PeerMessage & Partial<ConsumerRun>) => {
      if (message.type === "rss") {
        onMemory?.({ rss: message.bytes!, heap: message.heap! });
      } else if (message.type === "result") {
        resolve({ messages: message.messages!, payloadBytes: message.payloadBytes!, elapsedMs: message.elapsedMs! });
      } else if (message.type === "failed") {
        reject(new Error(`the ${name} consumer failed: ${message.message}`));
      }
    });
    child.once("exit", (code) => reject(new Error(`the ${name} consumer exited with ${code} before its result`)));
  });
}

export async function runStreamingBenchmark(options: StreamingBenchmarkOptions, track: (started: Stoppable) => void, log: (line: string) => void): Promise<StreamingBenchmark> {
  const natsServer = await startBenchNatsServer();
  track(natsServer);
  const runs = new Map<StreamCaseName, ConsumerRun[]>(streamCaseNames.map((name) => [name, []]));
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const name of streamCaseNames) {
      const producer = await startProducerProcess(name, natsServer.url);
      track(producer);
      try {
        const run = await runConsumerProcess(name, producer.address, options);
        runs.get(name)!.push(run);
        log(`  round ${round} ${name}: ${Math.round((run.messages / run.elapsedMs) * 1000)} messages/s (${run.messages} of ${options.count})`);
      } finally {
        await producer.stop();
      }
    }
  }
  const cases = streamCaseNames.map((name): StreamCaseResult => {
    const complete = runs.get(name)!.filter((run) => run.messages === options.count);
    return {
      name,
      messagesPerSecond: spreadOf(complete.map((run) => (run.messages / run.elapsedMs) * 1000)),
      megabytesPerSecond: spreadOf(complete.map((run) => run.payloadBytes / run.elapsedMs / 1000)),
      incompleteRounds: runs.get(name)!.length - complete.length,
    };
  });
  const ours = cases.find((result) => result.name === "ours")!.messagesPerSecond.median;
  const slowConsumer = options.slowReadMs > 0 ? await measureSlowConsumer(natsServer.url, options, ours, track, log) : undefined;
  await natsServer.stop();
  return { natsServerVersion: natsServer.version, options, cases, slowConsumer };
}

// Ours with a consumer that reads at a hundredth of the producer's speed: its memory, and the
// producer's, must stay flat, since the producer sends only what the consumer's credit allows.
async function measureSlowConsumer(natsUrl: string, options: StreamingBenchmarkOptions, producerRate: number, track: (started: Stoppable) => void, log: (line: string) => void): Promise<SlowConsumerResult> {
  const readRate = Math.max(10, producerRate / 100);
  // A pause of 10 ms after every batch, sized for the read rate.
  const pace = { pauseMs: 10, batch: Math.max(1, Math.round(readRate / 100)) };
  const producer = await startProducerProcess("ours", natsUrl, ["--expose-gc"]);
  track(producer);
  const consumerMemory: MemorySample[] = [];
  const producerMemory: MemorySample[] = [];
  const sampleProducer = setInterval(() => producer.child.send({ type: "rss" }), 1_000);
  producer.child.on("message", (message: PeerMessage) => {
    if (message.type === "rss") {
      producerMemory.push({ rss: message.bytes!, heap: message.heap! });
    }
  });
  // Enough ticks for the time asked for, at the read rate.
  const slowOptions = { ...options, count: Math.ceil((readRate * options.slowReadMs) / 1000) };
  log(`  slow consumer: ${slowOptions.count} ticks at ${Math.round(readRate)}/s (the producer runs at ${Math.round(producerRate)}/s)`);
  try {
    const run = await runConsumerProcess("ours", producer.address, slowOptions, pace, (sample) => consumerMemory.push(sample));
    const range = (samples: readonly MemorySample[], key: keyof MemorySample) => {
      const values = samples.map((sample) => Math.round((sample[key] / 1024 / 1024) * 10) / 10);
      return { first: values[0] ?? 0, max: Math.max(0, ...values), last: values.at(-1) ?? 0 };
    };
    return {
      readMessagesPerSecond: Math.round((run.messages / run.elapsedMs) * 1000),
      producerMessagesPerSecond: Math.round(producerRate),
      consumerRssMb: range(consumerMemory, "rss"),
      consumerHeapMb: range(consumerMemory, "heap"),
      producerRssMb: range(producerMemory, "rss"),
      producerHeapMb: range(producerMemory, "heap"),
    };
  } finally {
    clearInterval(sampleProducer);
    await producer.stop();
  }
}

export function formatStreamingReport(result: StreamingBenchmark): string {
  const { options } = result;
  const lines = [
    `Streaming: server streaming of ${options.count} ticks of ${options.payloadBytes} payload bytes per stream, ${options.rounds} interleaved rounds (nats-server ${result.natsServerVersion})`,
    "",
    "| case | messages/s (median) | min-max | MB/s of payload | incomplete rounds |",
    "| --- | --- | --- | --- | --- |",
    ...result.cases.map(
      (row) =>
        `| ${row.name} | ${Math.round(row.messagesPerSecond.median)} | ${Math.round(row.messagesPerSecond.min)}-${Math.round(row.messagesPerSecond.max)} | ${row.megabytesPerSecond.median.toFixed(1)} | ${row.incompleteRounds} |`,
    ),
  ];
  const rate = (name: StreamCaseName) => result.cases.find((row) => row.name === name)!.messagesPerSecond.median;
  const versusGrpc = rate("ours") / rate("grpc");
  const versusRaw = rate("ours") / rate("raw");
  lines.push("", `ours / grpc-js: ${versusGrpc.toFixed(2)} (goal >= 3: ${versusGrpc >= 3 ? "met" : "missed"})`);
  lines.push(`ours / raw NATS publish loop: ${versusRaw.toFixed(2)} (goal >= 0.5: ${versusRaw >= 0.5 ? "met" : "missed"})`);
  const slow = result.slowConsumer;
  if (slow !== undefined) {
    lines.push(
      "",
      `Slow consumer (ours, reading ${slow.readMessagesPerSecond}/s against a producer of ${slow.producerMessagesPerSecond}/s), sampled every second after a full collection:`,
      `  consumer: heap ${slow.consumerHeapMb.first} MB first, ${slow.consumerHeapMb.max} MB max, ${slow.consumerHeapMb.last} MB last; RSS ${slow.consumerRssMb.first} / ${slow.consumerRssMb.max} / ${slow.consumerRssMb.last} MB`,
      `  producer: heap ${slow.producerHeapMb.first} MB first, ${slow.producerHeapMb.last} MB last; RSS ${slow.producerRssMb.first} / ${slow.producerRssMb.last} MB`,
    );
  }
  return lines.join("\n");
}

const usage = `usage: npm run bench:streaming -- [--quick] [--count N] [--rounds N] [--slow-read-ms N] [--json FILE]
  --quick          20,000 ticks, 2 rounds, a 5 s slow read
  --count N        ticks per stream (default 200000)
  --rounds N       interleaved rounds of every case (default 5)
  --slow-read-ms N how long the slow consumer reads (default 20000; 0 for none)
  --json FILE      also write the figures as JSON
`;

export const streamingBenchmark: StandaloneBenchmark<StreamingBenchmarkOptions, StreamingBenchmark> = {
  title: "streaming: ours vs grpc-js vs a raw NATS publish loop",
  usage,
  parse(args) {
    const options: StreamingBenchmarkOptions & { jsonFile: string | undefined } = { count: 200_000, payloadBytes: 16, rounds: 5, slowReadMs: 20_000, jsonFile: undefined };
    for (let index = 0; index < args.length; index += 1) {
      const arg = args[index];
      const value = () => {
        const next = args[(index += 1)];
        if (next === undefined) {
          throw new Error(`${arg} needs a value`);
        }
        return next;
      };
      const whole = (text: string) => {
        const number = Number(text);
        if (!Number.isSafeInteger(number) || number < 0) {
          throw new Error(`${arg} takes a whole number, got ${text}`);
        }
        return number;
      };
      switch (arg) {
        case "--help":
          return "help";
        case "--quick":
          Object.assign(options, { count: 20_000, rounds: 2, slowReadMs: 5_000 });
          break;
        case "--count":
          options.count = Math.max(1, whole(value()));
          break;
        case "--rounds":
          options.rounds = Math.max(1, whole(value()));
          break;
        case "--slow-read-ms":
          options.slowReadMs = whole(value());
          break;
        case "--json":
          options.jsonFile = value();
          break;
        default:
          throw new Error(`unknown option ${arg}\n${usage}`);
      }
    }
    return options;
  },
  run: runStreamingBenchmark,
  format: formatStreamingReport,
};
