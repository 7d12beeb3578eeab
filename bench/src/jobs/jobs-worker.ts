// The worker of one job system: a process of its own, started by the jobs benchmark. It runs the
// bench service's Score handler (bench-messages.ts: sum and count the samples) as a job, with
// `concurrency` jobs at once, until the runner tells it to stop. Each system's libraries are loaded
// only in its own processes.
// Usage (by the runner): node jobs-worker.js <ours|bullmq|bare> <url> <concurrency> <prefix>
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JsMsg } from "@nats-io/jetstream";
import { connect, nanos } from "@nats-io/transport-node";
import { serveBench } from "../../gen/bench/v1/bench_nats.js";
import { ScoreRequestSchema, ScoreResponseSchema, type ScoreRequest } from "../../gen/bench/v1/bench_pb.js";
import { score } from "../bench-messages.js";
import { runServerProcess, type RunningServer } from "../servers/server-process.js";
import { bareConsumer, bareReplyHeader, bareStream, bareSubject, bullmqQueueName, hostAndPort, type JobSystem, type JobSystemAddress } from "./job-systems.js";

const [system = "", url = "", concurrencyText = "", prefix = ""] = process.argv.slice(2);
const concurrency = Number(concurrencyText);

await runServerProcess(() => {
  const address: JobSystemAddress = { url, prefix };
  switch (system as JobSystem) {
    case "ours":
      return serveOurs(address);
    case "bullmq":
      return serveBullmq(address);
    case "bare":
      return serveBare(address);
    default:
      throw new Error(`no job system "${system}"`);
  }
});

// The generated host with serveJobs(): every job goes through the host's one call path.
async function serveOurs(address: JobSystemAddress): Promise<RunningServer> {
  const { serveJobs } = await import("nats-micro-runtime/jobs");
  const nc = await connect({ servers: address.url, name: "bench-jobs-worker-ours", noAsyncTraces: true });
  const host = await serveBench(nc, { score: async (request) => score(request) }, { entryPoints: [serveJobs({ concurrency })] });
  return {
    address: address.url,
    stop: async () => {
      await host.stop();
      await nc.close();
    },
  };
}

// A BullMQ Worker with the same concurrency; its processor's return value is the job's result.
async function serveBullmq(address: JobSystemAddress): Promise<RunningServer> {
  const { Worker } = await import("bullmq");
  const worker = new Worker(bullmqQueueName, async (job) => score(job.data as { id: string; samples: number[] }), {
    connection: hostAndPort(address.url),
    prefix: address.prefix,
    concurrency,
  });
  await worker.waitUntilReady();
  return { address: address.url, stop: () => worker.close() };
}

/**
 * The ceiling: a work-queue stream and a durable pull consumer (as ours has), taken with
 * `consume()`; each job's request decoded, scored, its reply encoded, the message acknowledged and
 * the reply published with core NATS to the subject in the job's header. No record, no retries.
 */
async function serveBare(address: JobSystemAddress): Promise<RunningServer> {
  const nc = await connect({ servers: address.url, name: "bench-jobs-worker-bare", noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: bareStream, subjects: [bareSubject], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
  await jsm.consumers.add(bareStream, {
    durable_name: bareConsumer,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(30_000),
    max_ack_pending: concurrency,
  });
  const consumer = await jetstream(nc).consumers.get(bareStream, bareConsumer);
  const messages = await consumer.consume({ max_messages: concurrency });
  // Async, as the other systems' handlers are.
  const handler = async (request: ScoreRequest) => score(request);
  const run = async (msg: JsMsg) => {
    const reply = toBinary(ScoreResponseSchema, create(ScoreResponseSchema, await handler(fromBinary(ScoreRequestSchema, msg.data))));
    msg.ack();
    nc.publish(msg.headers?.get(bareReplyHeader) ?? "", reply);
  };
  const done = (async () => {
    for await (const msg of messages) {
      // Each job on its own, so that up to `concurrency` run at once; a failed one times out its producer.
      void run(msg).catch(() => undefined);
    }
  })();
  return {
    address: address.url,
    stop: async () => {
      await messages.close();
      await done;
      await nc.close();
    },
  };
}
