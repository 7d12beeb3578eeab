// Durable jobs (docs/jobs.md) across real worker processes: the calc service run as `serve --jobs`
// (test/fixtures/jobs-calc-worker.mjs) against a real nats-server with JetStream. A worker killed
// mid-job, a job that crashes every worker that takes it, a server killed with 1,000 jobs queued,
// two workers sharing 1,000 jobs, and a poison job's back-off: each to the record and the dead
// letters, with every run of every job counted from the workers' logs.
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Code } from "nats-micro-runtime";
import { createJobClient, JobState, type JobClient } from "nats-micro-runtime/jobs";
import { Calc, SumRequestSchema } from "../../example/src/gen/calc/v1/calc_pb.js";
import { startCli, type RunningCli } from "../helpers/cli-process.js";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";
import { rootDirectory } from "../helpers/paths.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

const workerProgram = join(rootDirectory, "test", "fixtures", "jobs-calc-worker.mjs");
// The shortest lease there is: a killed worker's job runs again a second later.
const shortLeaseMs = 1_000;

// The fixture's instructions, each a pair of values in a sum request (see its header).
const sigkillOn = (attempt: number) => [-1, attempt];
const exitOn = (attempt: number) => [-2, attempt];
const failing = [-3, 0];

let server: NatsProcess | undefined;
let nc: NatsConnection | undefined;
let jobs: JobClient<typeof Calc>;
// Every worker process a test started, running or not: all are killed after it.
const workers: RunningCli[] = [];

beforeEach(async () => {
  server = await startNatsProcess({ name: "jobs-workers", jetStream: true });
  // Back soon after a server restart.
  nc = await connect({ servers: server.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  jobs = createJobClient(nc, Calc);
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.kill()));
  await nc?.close();
  await server?.stop();
  nc = undefined;
  server = undefined;
});

/** A `jobs-calc-worker serve --jobs` process and the instance id its host logged. */
interface Worker {
  readonly cli: RunningCli;
  readonly instance: string;
}

async function startWorker(leaseMs = shortLeaseMs): Promise<Worker> {
  const cli = startCli(workerProgram, ["serve", "--jobs", "--job-concurrency", "8", "--job-lease", String(leaseMs), "--server", server!.url]);
  workers.push(cli);
  const serving = await cli.waitForLog((line) => line.msg === "serving", 15_000);
  return { cli, instance: String(serving["instance"]) };
}

const hasExited = (cli: RunningCli) => cli.child.exitCode !== null || cli.child.signalCode !== null;

/** One run of `sum` as a worker logged it. */
interface Run {
  readonly id: string;
  readonly attempt: number;
  readonly pid: number;
  readonly at: number;
}

/** Every run of every job (or of job `id`) that any worker of the test logged, in the order they started. */
function runs(id?: string): Run[] {
  return workers
    .flatMap((cli) => cli.logs.filter((line) => line.msg === "job run"))
    .map((line) => {
      const job = line["job"] as { id: string; attempt: number };
      return { id: job.id, attempt: job.attempt, pid: line.pid, at: line["at"] as number };
    })
    .filter((run) => id === undefined || run.id === id)
    .sort((a, b) => a.at - b.at);
}

/** How many jobs the work queue holds: a job's message goes once its end is stored. */
async function queued(): Promise<number> {
  const store = await jobs.store();
  return (await store.jsm.streams.info(store.names.workStream)).state.messages;
}

/** Enqueues a sum job under each id, 100 at a time; job `index` adds index and 1. */
async function enqueueAll(ids: readonly string[]): Promise<void> {
  for (let start = 0; start < ids.length; start += 100) {
    await Promise.all(ids.slice(start, start + 100).map((id, offset) => jobs.enqueue.sum({ values: [start + offset, 1] }, { id })));
  }
}

/** Resolves when the connection is back after it was lost; rejects after `timeoutMs`. */
function waitForReconnect(connection: NatsConnection, timeoutMs = 10_000): Promise<void> {
  const statuses = connection.status();
  const reconnected = (async () => {
    for await (const status of statuses) {
      if (status.type === "reconnect") {
        return;
      }
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the connection was not back within ${timeoutMs} ms`)), timeoutMs);
  });
  // On a timeout the loop ends when the connection is closed after the test.
  return Promise.race([reconnected, timedOut]).finally(() => clearTimeout(timer));
}

function countBy<T>(items: readonly T[], key: (item: T) => string | number): Map<string | number, number> {
  const counts = new Map<string | number, number>();
  for (const item of items) {
    counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  }
  return counts;
}

describe("jobs across worker processes", () => {
  it("runs a job again on another worker after the lease of the worker killed running it", async () => {
    const started = await Promise.all([startWorker(), startWorker()]);
    const job = await jobs.enqueue.sum({ values: [2, 3, ...sigkillOn(1)] }, { id: "killed-mid-run" });
    await expect(job.result({ timeoutMs: 15_000 })).resolves.toMatchObject({ operation: "sum", result: 5 });

    const taken = runs(job.id);
    expect(taken.map((run) => run.attempt)).toEqual([1, 2]);
    const [first, second] = taken;
    const killed = started.find((worker) => worker.cli.child.pid === first!.pid)!;
    const survivor = started.find((worker) => worker !== killed)!;
    await expect(killed.cli.exited).resolves.toEqual({ code: null, signal: "SIGKILL" });
    expect(second!.pid).toBe(survivor.cli.child.pid);
    // Taken again once the lease ran out, not before, and not much later.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(shortLeaseMs - 100);
    expect(second!.at - first!.at).toBeLessThan(shortLeaseMs + 4_000);
    expect(await job.status()).toMatchObject({ state: JobState.Completed, attempt: 2, attempts: 5, worker: survivor.instance });
  });

  it("dead-letters a job that crashes its worker on each attempt, not leaving it in the work queue", async () => {
    await Promise.all([startWorker(), startWorker()]);
    const job = await jobs.enqueue.sum({ values: [7, ...exitOn(0)] }, { id: "crashes-always", attempts: 2 });
    // Each attempt takes its worker down: one is started in its place until the job is over (two
    // attempts take two workers; four replaced would mean more attempts ran than were allowed).
    const replaced = new Set<RunningCli>();
    const deadline = Date.now() + 20_000;
    while ((await job.status())?.state !== JobState.Dead) {
      expect(Date.now()).toBeLessThan(deadline);
      for (const gone of workers.filter((cli) => hasExited(cli) && !replaced.has(cli))) {
        replaced.add(gone);
        expect(replaced.size).toBeLessThanOrEqual(4);
        await startWorker();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Two attempts, each in a worker that exited with code 1, and one more delivery that ran nothing.
    const crashed = runs(job.id);
    expect(crashed.map((run) => run.attempt)).toEqual([1, 2]);
    expect(crashed[0]!.pid).not.toBe(crashed[1]!.pid);
    for (const run of crashed) {
      await expect(workers.find((cli) => cli.child.pid === run.pid)!.exited).resolves.toEqual({ code: 1, signal: null });
    }
    expect(await job.status()).toMatchObject({ state: JobState.Dead, attempt: 2, attempts: 2 });
    expect((await rpcRejection(job.result({ timeoutMs: 1_000 }))).code).toBe(Code.Aborted);
    const letter = (await jobs.deadLetters()).find((candidate) => candidate.id === job.id);
    expect(letter).toMatchObject({ method: "Sum", attempts: 2, reason: "its worker stopped during each of its 2 attempts" });
    expect(letter!.error?.code).toBe(Code.Aborted);
    expect(fromBinary(SumRequestSchema, letter!.payload).values).toEqual([7, ...exitOn(0)]);
    await waitUntil("the work queue to be empty", async () => (await queued()) === 0, 5_000);
    expect(runs(job.id)).toHaveLength(2);
  });

  it("loses none of 1,000 queued jobs when the server is killed and started again", async () => {
    const ids = Array.from({ length: 1_000 }, (_, index) => `queued-${index}`);
    await enqueueAll(ids);
    expect(await queued()).toBe(1_000);

    const reconnected = waitForReconnect(nc!);
    await server!.kill();
    await server!.start();
    // A request made while the connection is down would wait for its whole timeout.
    await reconnected;
    await waitUntil("the queue to be back, all of it", async () => (await queued()) === 1_000, 15_000);
    expect((await jobs.list({ state: JobState.Queued, limit: 2_000 })).length).toBe(1_000);

    await Promise.all([startWorker(), startWorker()]);
    await waitUntil("every job to finish", async () => (await queued()) === 0, 30_000);
    const completed = await jobs.list({ state: JobState.Completed, limit: 2_000 });
    expect(completed.map((status) => status.id).sort()).toEqual([...ids].sort());
    expect([...countBy(runs(), (run) => run.id).values()].every((count) => count === 1)).toBe(true);
    await expect(jobs.job.sum("queued-41").result({ timeoutMs: 1_000 })).resolves.toMatchObject({ result: 42 });
  }, 60_000);

  it("shares 1,000 jobs between two workers and runs each exactly once", async () => {
    // A lease a starved event loop on a busy machine cannot miss: nothing fails here.
    const [first, second] = await Promise.all([startWorker(10_000), startWorker(10_000)]);
    const ids = Array.from({ length: 1_000 }, (_, index) => `shared-${index}`);
    await enqueueAll(ids);
    // Listed while the workers change the records: each job once.
    const listed = (await jobs.list({ limit: 2_000 })).map((status) => status.id);
    expect(listed).toHaveLength(1_000);
    expect(new Set(listed).size).toBe(1_000);
    await waitUntil("every job to finish", async () => (await queued()) === 0, 30_000);

    const all = runs();
    const perJob = countBy(all, (run) => run.id);
    expect([...perJob.keys()].sort()).toEqual([...ids].sort());
    expect([...perJob.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(all.every((run) => run.attempt === 1)).toBe(true);
    const perWorker = countBy(all, (run) => run.pid);
    expect(perWorker.get(first.cli.child.pid!)).toBeGreaterThan(100);
    expect(perWorker.get(second.cli.child.pid!)).toBeGreaterThan(100);
    const completed = await jobs.list({ state: JobState.Completed, limit: 2_000 });
    expect(completed).toHaveLength(1_000);
    expect(new Set(completed.map((status) => status.worker))).toEqual(new Set([first.instance, second.instance]));
  }, 60_000);

  it("dead-letters a poison job after its 3 attempts, waiting longer before each", async () => {
    await Promise.all([startWorker(), startWorker()]);
    const job = await jobs.enqueue.sum({ values: [1, ...failing] }, { id: "poison", attempts: 3 });
    expect((await rpcRejection(job.result({ timeoutMs: 15_000 }))).code).toBe(Code.Unavailable);

    const attempts = runs(job.id);
    expect(attempts.map((run) => run.attempt)).toEqual([1, 2, 3]);
    // The default back-off: 1 s, then 2 s, each with jitter over its upper half: the waits are
    // 0.5 to 1 s, then 1 to 2 s (and the time a delivery takes).
    const [firstWait, secondWait] = [attempts[1]!.at - attempts[0]!.at, attempts[2]!.at - attempts[1]!.at];
    expect(firstWait).toBeGreaterThanOrEqual(500);
    expect(firstWait).toBeLessThan(1_000 + 1_000);
    expect(secondWait).toBeGreaterThanOrEqual(1_000);
    expect(secondWait).toBeLessThan(2_000 + 1_000);
    expect(await job.status()).toMatchObject({ state: JobState.Failed, attempt: 3, attempts: 3 });
    const letter = (await jobs.deadLetters()).find((candidate) => candidate.id === job.id);
    expect(letter).toMatchObject({ method: "Sum", attempts: 3, reason: "all 3 attempts failed" });
    expect(letter!.error?.code).toBe(Code.Unavailable);
    await waitUntil("the work queue to be empty", async () => (await queued()) === 0, 5_000);
  });
});
