import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { jetstream } from "@nats-io/jetstream";
import { connect, createInbox, headers } from "@nats-io/transport-node";
import { Bench, ScoreRequestSchema, ScoreResponseSchema } from "../../gen/bench/v1/bench_pb.js";
import { checkScore, scoreRequestInit } from "../bench-messages.js";
import type { Caller } from "../callers/caller.js";
import { bareReplyHeader, bareSubject, bullmqQueueName, hostAndPort, jobTimeoutMs, type JobSystem, type JobSystemAddress } from "./job-systems.js";

/**
 * The producer's side of a system: each `call()` enqueues one Score job and resolves once its
 * result has come back and been checked, as an application waiting for a job would. Each system's
 * libraries are loaded only by its own producer.
 */
export function createJobCaller(system: JobSystem, address: JobSystemAddress): Promise<Caller> {
  switch (system) {
    case "ours":
      return createOursCaller(address);
    case "bullmq":
      return createBullmqCaller(address);
    case "bare":
      return createBareCaller(address);
  }
}

// createJobClient().enqueue.score(), then the handle's result().
async function createOursCaller(address: JobSystemAddress): Promise<Caller> {
  const { createJobClient } = await import("nats-micro-runtime/jobs");
  const nc = await connect({ servers: address.url, name: "bench-jobs-producer-ours", noAsyncTraces: true });
  const jobs = createJobClient(nc, Bench);
  await jobs.store();
  return {
    async call() {
      const job = await jobs.enqueue.score(scoreRequestInit);
      checkScore(await job.result({ timeoutMs: jobTimeoutMs }));
    },
    close: () => nc.close(),
  };
}

// queue.add(), then job.waitUntilFinished(queueEvents): BullMQ's documented way to wait for a result.
async function createBullmqCaller(address: JobSystemAddress): Promise<Caller> {
  const { Queue, QueueEvents } = await import("bullmq");
  const connection = hostAndPort(address.url);
  const queue = new Queue(bullmqQueueName, { connection, prefix: address.prefix });
  const events = new QueueEvents(bullmqQueueName, { connection, prefix: address.prefix });
  // Each waitUntilFinished() listens to the queue's "closing" until its job ends: one listener per
  // job outstanding, more than node's default warning threshold of 10.
  queue.setMaxListeners(0);
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  } catch (error) {
    await Promise.allSettled([queue.close(), events.close()]);
    throw error;
  }
  return {
    async call() {
      const job = await queue.add("score", scoreRequestInit);
      checkScore((await job.waitUntilFinished(events, jobTimeoutMs)) as { id: string; total: number; count: number });
    },
    close: async () => {
      await events.close();
      await queue.close();
    },
  };
}

// js.publish() of the request with a reply subject in a header, then that subject's core NATS reply.
async function createBareCaller(address: JobSystemAddress): Promise<Caller> {
  const nc = await connect({ servers: address.url, name: "bench-jobs-producer-bare", noAsyncTraces: true });
  const js = jetstream(nc);
  const request = toBinary(ScoreRequestSchema, create(ScoreRequestSchema, scoreRequestInit));
  // One subscription for every reply, each job's subject one token under it.
  const inbox = createInbox();
  const waiting = new Map<string, (reply: Uint8Array) => void>();
  nc.subscribe(`${inbox}.*`, {
    callback: (error, msg) => {
      if (error === null) {
        waiting.get(msg.subject)?.(msg.data);
      }
    },
  });
  await nc.flush();
  let next = 0;
  return {
    async call() {
      const subject = `${inbox}.${(next += 1)}`;
      let timer: NodeJS.Timeout | undefined;
      const replied = new Promise<Uint8Array>((resolve, reject) => {
        waiting.set(subject, resolve);
        timer = setTimeout(() => reject(new Error(`no reply to bare job ${subject} within ${jobTimeoutMs} ms`)), jobTimeoutMs);
      });
      try {
        const header = headers();
        header.set(bareReplyHeader, subject);
        await js.publish(bareSubject, request, { headers: header });
        checkScore(fromBinary(ScoreResponseSchema, await replied));
      } finally {
        clearTimeout(timer);
        waiting.delete(subject);
      }
    },
    close: () => nc.close(),
  };
}
