/**
 * The three job systems of the jobs benchmark, each running the bench service's `Score` as a job:
 * ours (`nats-micro-runtime/jobs`), BullMQ on Redis, and a bare JetStream work queue, the ceiling.
 */
export type JobSystem = "ours" | "bullmq" | "bare";

/** Every system, in the order of the report. */
export const jobSystems: readonly JobSystem[] = ["ours", "bullmq", "bare"];

/** How each system is named in the tables. */
export const jobSystemNames: Record<JobSystem, string> = {
  ours: "ours (nats-micro-runtime/jobs)",
  bullmq: "BullMQ on Redis",
  bare: "bare JetStream",
};

/** What the worker and the producer of a system connect to, and the names they share. */
export interface JobSystemAddress {
  /** `nats://127.0.0.1:PORT`, or `127.0.0.1:6379` for Redis. */
  url: string;
  /** BullMQ's key prefix, one per run of the benchmark (`bench-jobs-<pid>`); unused by the others. */
  prefix: string;
}

/** How long a producer waits for one job's result before the run fails, in milliseconds. */
export const jobTimeoutMs = 10_000;

/** The BullMQ queue, under the run's prefix. */
export const bullmqQueueName = "score";

/** The bare ceiling's work-queue stream, its subject and its durable pull consumer. */
export const bareStream = "BENCH_BARE_JOBS";
export const bareSubject = "bench.bare.jobs.run";
export const bareConsumer = "score";

/** The header that carries the subject the bare worker publishes a job's reply to. */
export const bareReplyHeader = "Bench-Reply";

/** Splits `host:port`. */
export function hostAndPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}
