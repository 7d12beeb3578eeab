// Durable jobs (docs/jobs.md), in one process against a real nats-server with JetStream: the same
// handlers run as jobs with retries, back-off, dead letters, results, delays, cancellation, and
// stats; each semantic of the guide has a test here (the worker-process ones are in jobs-workers).
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code, RpcError, type ServiceHost } from "nats-micro-runtime";
import { createJobClient, JobState, serveJobs, type JobClient, type JobWorkerOptions } from "nats-micro-runtime/jobs";
import { createJobMetrics } from "nats-micro-runtime/metrics";
import { Chores } from "../gen/testing/jobs/v1/chores_pb.js";
import { serveChores } from "../gen/testing/jobs/v1/chores_nats.js";
import { createChoresHandlers, type ChoresRecorder } from "../helpers/chores-handlers.js";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

let server: NatsProcess;
let nc: NatsConnection;
let jobs: JobClient<typeof Chores>;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  server = await startNatsProcess({ name: "jobs", jetStream: true });
  nc = await connect({ servers: server.url });
  jobs = createJobClient(nc, Chores);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
  // A job a stopped worker gave back would run in the next test's worker.
  await jobs.purge();
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

/** A host of the chores service that also runs its jobs, on a connection of its own. */
async function startWorker(options: JobWorkerOptions = {}, worker = "w1"): Promise<{ host: ServiceHost; recorder: ChoresRecorder; connection: NatsConnection }> {
  const connection = await connect({ servers: server.url });
  const recorder = createChoresHandlers(worker);
  const host = await serveChores(connection, recorder.handlers, { entryPoints: [serveJobs({ leaseMs: 2_000, stopGraceMs: 500, ...options })] });
  cleanups.push(async () => {
    await host.stop();
    await connection.close();
  });
  return { host, recorder, connection };
}

let keys = 0;
const uniqueKey = (name: string) => `${name}-${(keys += 1)}`;

describe("jobs", () => {
  it("runs a job with the handler and keeps its typed result", async () => {
    const { recorder } = await startWorker();
    const key = uniqueKey("ok");
    const job = await jobs.enqueue.do({ key });
    const reply = await job.result({ timeoutMs: 10_000 });
    expect(reply).toMatchObject({ key, attempt: 1, worker: "w1" });
    expect(recorder.callsOf(key)).toHaveLength(1);
    const status = await job.status();
    expect(status).toMatchObject({ id: job.id, method: "Do", state: JobState.Completed, attempt: 1, attempts: 3 });
    expect(status!.finishedAt!.getTime()).toBeGreaterThanOrEqual(status!.startedAt!.getTime());
    // Anyone can follow the job by its id.
    await expect(jobs.job.do(job.id).result()).resolves.toMatchObject({ key });
  });

  it("runs a job enqueued twice under one id once", async () => {
    const { recorder } = await startWorker();
    const key = uniqueKey("once");
    const id = `order-${key}`;
    const [first, second] = await Promise.all([jobs.enqueue.do({ key }, { id }), jobs.enqueue.do({ key }, { id })]);
    await first.result({ timeoutMs: 10_000 });
    const third = await jobs.enqueue.do({ key }, { id });
    await expect(second.result({ timeoutMs: 5_000 })).resolves.toMatchObject({ key });
    await expect(third.result({ timeoutMs: 5_000 })).resolves.toMatchObject({ key });
    // Beyond the server's duplicate window too: the record says the id is taken.
    const store = await jobs.store();
    await store.jsm.streams.purge(store.names.workStream).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(recorder.callsOf(key)).toHaveLength(1);
  });

  it("runs a job whose first enqueue stopped between its record and its message once it is enqueued again", async () => {
    const { recorder } = await startWorker();
    const key = uniqueKey("half-enqueued");
    const id = `half-${key}`;
    const store = await jobs.store();
    // What an enqueuer that died after the record and before the message leaves behind.
    await store.create({ id, method: "Do", state: JobState.Queued, run: "lost-run", attempt: 0, attempts: 3, encoding: "binary", enqueuedAt: new Date().toISOString() });
    const job = await jobs.enqueue.do({ key }, { id });
    await expect(job.result({ timeoutMs: 10_000 })).resolves.toMatchObject({ key });
    expect(recorder.callsOf(key)).toHaveLength(1);
  });

  it("runs one enqueue once when its message is in the queue twice", async () => {
    const { recorder } = await startWorker({ concurrency: 4 });
    const key = uniqueKey("copied");
    const job = await jobs.enqueue.do({ key, sleepMs: 300 }, { notBefore: new Date(Date.now() + 300) });
    const store = await jobs.store();
    // A second copy of the message, past the server's duplicate detection (another message id).
    const original = await store.jsm.streams.getMessage(store.names.workStream, { last_by_subj: store.names.workSubject("Do") });
    const headers = original!.header;
    headers.set("Nats-Msg-Id", `${job.id}-copy`);
    await store.js.publish(store.names.workSubject("Do"), original!.data, { headers });
    await expect(job.result({ timeoutMs: 10_000 })).resolves.toMatchObject({ key });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(recorder.callsOf(key)).toHaveLength(1);
  });

  it("retries a failing job with back-off until it succeeds", async () => {
    const { recorder } = await startWorker();
    const key = uniqueKey("flaky");
    const job = await jobs.enqueue.do({ key, failCode: Code.Unavailable, failAttempts: 2 });
    await expect(job.result({ timeoutMs: 10_000 })).resolves.toMatchObject({ key, attempt: 3 });
    const calls = recorder.callsOf(key);
    expect(calls.map((call) => [call.attempt, call.outcome])).toEqual([
      [1, Code.Unavailable],
      [2, Code.Unavailable],
      [3, "ok"],
    ]);
    // Back-off of 100 ms, then 200 ms, each with jitter over its upper half.
    expect(calls[1]!.startedAt - calls[0]!.startedAt).toBeGreaterThanOrEqual(50);
    expect(calls[2]!.startedAt - calls[1]!.startedAt).toBeGreaterThanOrEqual(100);
    expect((await job.status())?.error?.code).toBe(Code.Unavailable);
  });

  it("dead-letters a job after its last attempt, and retries it from there", async () => {
    const { recorder } = await startWorker();
    const key = uniqueKey("doomed");
    const job = await jobs.enqueue.do({ key, failCode: Code.Internal, failAttempts: 3 });
    const error = await rpcRejection(job.result({ timeoutMs: 10_000 }));
    expect(error.code).toBe(Code.Internal);
    expect(recorder.callsOf(key)).toHaveLength(3);
    expect(await job.status()).toMatchObject({ state: JobState.Failed, attempt: 3 });
    const letter = (await jobs.deadLetters()).find((candidate) => candidate.id === job.id);
    expect(letter).toMatchObject({ method: "Do", attempts: 3, reason: "all 3 attempts failed" });
    expect(letter!.error?.code).toBe(Code.Internal);

    // The fourth call succeeds: the retried job completes, and its letter is gone.
    const retried = await jobs.retry(job.id);
    await expect(retried.result({ timeoutMs: 10_000 })).resolves.toMatchObject({ key, attempt: 1 });
    expect((await jobs.deadLetters()).some((candidate) => candidate.id === job.id)).toBe(false);
  });

  it("does not retry a code that is not retried", async () => {
    const { recorder } = await startWorker();
    const key = uniqueKey("invalid");
    const job = await jobs.enqueue.do({ key, failCode: Code.InvalidArgument });
    expect((await rpcRejection(job.result({ timeoutMs: 10_000 }))).code).toBe(Code.InvalidArgument);
    expect(recorder.callsOf(key)).toHaveLength(1);
    const letter = (await jobs.deadLetters()).find((candidate) => candidate.id === job.id);
    expect(letter?.reason).toBe("its handler failed with invalid_argument, which is not retried");
  });

  it("fails an attempt that runs out of its time, with its signal aborted", async () => {
    const { recorder } = await startWorker();
    const key = uniqueKey("sluggish");
    const job = await jobs.enqueue.slow({ key, sleepMs: 30_000 });
    const error = await rpcRejection(job.result({ timeoutMs: 15_000 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    // Slow allows 2 attempts of 2 s each.
    expect(recorder.callsOf(key).map((call) => call.outcome)).toEqual(["aborted", "aborted"]);
  });

  it("starts no attempt before notBefore, and cancels a waiting job", async () => {
    const { recorder } = await startWorker();
    const key = uniqueKey("later");
    const notBefore = new Date(Date.now() + 1_500);
    const later = await jobs.enqueue.do({ key }, { notBefore });
    const cancelled = await jobs.enqueue.do({ key: `${key}-cancelled` }, { notBefore: new Date(Date.now() + 60_000) });
    expect(await cancelled.cancel()).toBe(true);
    expect((await rpcRejection(cancelled.result({ timeoutMs: 1_000 }))).code).toBe(Code.Canceled);
    await later.result({ timeoutMs: 10_000 });
    expect(recorder.callsOf(key)[0]!.startedAt).toBeGreaterThanOrEqual(notBefore.getTime());
    expect(recorder.callsOf(`${key}-cancelled`)).toHaveLength(0);
    expect(await later.cancel()).toBe(false);
  });

  it("gives a job back, uncounted, when its worker stops, and another worker finishes it", async () => {
    const first = await startWorker({ stopGraceMs: 200 }, "w1");
    const key = uniqueKey("handed-over");
    const job = await jobs.enqueue.do({ key, sleepMs: 2_000 });
    await waitUntil("the job to start", () => first.recorder.callsOf(key).length === 1);
    await first.host.stop();
    expect(first.recorder.callsOf(key)[0]!.outcome).toBe("aborted");
    expect((await job.status())?.state).toBe(JobState.Queued);
    const second = await startWorker({}, "w2");
    await expect(job.result({ timeoutMs: 15_000 })).resolves.toMatchObject({ key, attempt: 1, worker: "w2" });
    expect(second.recorder.callsOf(key)).toHaveLength(1);
  });

  it("runs a job again after the lease of a worker that vanished", async () => {
    const lost = await startWorker({ leaseMs: 1_000 }, "lost");
    const key = uniqueKey("orphan");
    const job = await jobs.enqueue.do({ key, sleepMs: 60_000 });
    await waitUntil("the job to start", () => lost.recorder.callsOf(key).length === 1);
    // Its connection gone without a word: no ack, no nak, no renewal.
    await lost.connection.close();
    const taker = await startWorker({ leaseMs: 1_000 }, "taker");
    const startedAt = Date.now();
    await waitUntil("another worker to take the job", () => taker.recorder.callsOf(key).length === 1, 10_000);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(taker.recorder.callsOf(key)[0]!.attempt).toBe(2);
    expect(await job.cancel()).toBe(false);
  });

  it("counts jobs by outcome in $SRV.STATS", async () => {
    const { host } = await startWorker({ queueStatsIntervalMs: 100 });
    const done = await jobs.enqueue.do({ key: uniqueKey("counted") });
    const failed = await jobs.enqueue.do({ key: uniqueKey("counted"), failCode: Code.NotFound });
    await done.result({ timeoutMs: 10_000 });
    await rpcRejection(failed.result({ timeoutMs: 10_000 }));
    const stats = host.stats().endpoints.find((endpoint) => endpoint.name === "Do")!;
    expect(stats.data).toMatchObject({ jobs: { completed: 1, failed: 1, running: 0 } });
    expect(stats.num_requests).toBe(2);
    expect(stats.num_errors).toBe(1);
  });

  it("runs no more than max_running attempts of a method at once over all workers", async () => {
    const workers = [await startWorker({ concurrency: 4 }, "w1"), await startWorker({ concurrency: 4 }, "w2")];
    const key = uniqueKey("serial");
    let running = 0;
    let mostRunning = 0;
    const handles = await Promise.all([1, 2, 3, 4].map((index) => jobs.enqueue.serial({ key: `${key}-${index}`, sleepMs: 150 })));
    const watch = setInterval(() => {
      running = workers.reduce((count, worker) => count + worker.recorder.calls.filter((call) => call.method === "Serial" && call.outcome === undefined).length, 0);
      mostRunning = Math.max(mostRunning, running);
    }, 10);
    try {
      await Promise.all(handles.map((handle) => handle.result({ timeoutMs: 10_000 })));
    } finally {
      clearInterval(watch);
    }
    expect(mostRunning).toBe(1);
  });

  it("reports the depth and oldest age of each queue, in $SRV.STATS and in Prometheus metrics", async () => {
    const metrics = createJobMetrics();
    const { host } = await startWorker({ queueStatsIntervalMs: 100, metrics });
    const key = uniqueKey("waiting");
    const later = new Date(Date.now() + 60_000);
    const waiting = await Promise.all([1, 2, 3].map((index) => jobs.enqueue.slow({ key: `${key}-${index}` }, { notBefore: later })));
    const done = await jobs.enqueue.slow({ key: `${key}-now` });
    await done.result({ timeoutMs: 10_000 });
    await waitUntil("the queue's depth in the stats", () => {
      const data = host.stats().endpoints.find((endpoint) => endpoint.name === "Slow")?.data as { jobs?: { queued?: number; oldest_age_ms?: number } } | undefined;
      return data?.jobs?.queued === 3 && (data.jobs.oldest_age_ms ?? 0) > 0;
    });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/nats_micro_jobs_total\{service="chores",method="Slow",outcome="completed"\} 1/);
    expect(text).toMatch(/nats_micro_jobs_queued\{service="chores",method="Slow"\} 3/);
    await Promise.all(waiting.map((handle) => handle.cancel()));
  });

  it("runs an id again once purge has removed its job", async () => {
    const { recorder } = await startWorker();
    const id = `again-${uniqueKey("purged")}`;
    await (await jobs.enqueue.do({ key: `${id}-first` }, { id })).result({ timeoutMs: 10_000 });
    expect(await jobs.purge()).toMatchObject({ records: 1 });
    expect(await jobs.status(id)).toBeUndefined();
    const again = await jobs.enqueue.do({ key: `${id}-second` }, { id });
    await expect(again.result({ timeoutMs: 10_000 })).resolves.toMatchObject({ key: `${id}-second`, attempt: 1 });
    expect(recorder.callsOf(`${id}-first`)).toHaveLength(1);
    expect(recorder.callsOf(`${id}-second`)).toHaveLength(1);
  });

  it("refuses a job id that cannot be one, and an id taken by another method's job", async () => {
    const error = await rpcRejection(jobs.enqueue.do({ key: "x" }, { id: "has.dots" }));
    expect(error).toBeInstanceOf(RpcError);
    expect(error.code).toBe(Code.InvalidArgument);
    expect((await rpcRejection(jobs.status("has.dots"))).code).toBe(Code.InvalidArgument);
    await jobs.enqueue.do({ key: "y" }, { id: "taken", notBefore: new Date(Date.now() + 60_000) });
    expect((await rpcRejection(jobs.enqueue.slow({ key: "y" }, { id: "taken" }))).code).toBe(Code.AlreadyExists);
  });
});
