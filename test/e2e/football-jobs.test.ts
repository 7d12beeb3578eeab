// Seed 001's gateway form on durable jobs: the football workers (`football serve --jobs`) and the
// gateway (`football gateway --jobs`) as real processes against a real nats-server with JetStream.
// A valid POST is answered with the request form's odds, through a job; an invalid one is 400 with
// the seed's `{game_id, error}` and enqueues nothing; and under a steady load, one of two worker
// processes killed with SIGKILL loses no request: the jobs it held run on the other once their
// lease (1 s here) runs out, and only their requests wait that long.
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { createJobClient, JobState, type JobClient } from "nats-micro-runtime/jobs";
import { Pool } from "undici";
import { Football } from "../../examples/football/src/gen/football/v1/football_pb.js";
import { startCli, type RunningCli } from "../helpers/cli-process.js";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";
import { rootDirectory } from "../helpers/paths.js";
import { startSteadyLoad } from "../helpers/steady-load.js";

const footballProgram = join(rootDirectory, "examples", "football", "bin", "football.js");
const leaseMs = 1_000;

let server: NatsProcess;
let nc: NatsConnection;
let jobs: JobClient<typeof Football>;
// Two worker processes of one instance each, so that one can be killed alone.
let workers: RunningCli[];
let jobGateway: RunningCli;
let requestGateway: RunningCli;
let jobUrl: string;
let requestUrl: string;

beforeAll(async () => {
  server = await startNatsProcess({ name: "football-jobs", jetStream: true });
  nc = await connect({ servers: server.url });
  jobs = createJobClient(nc, Football);
  workers = [1, 2].map(() => startCli(footballProgram, ["serve", "--workers", "1", "--jobs", "--job-lease", String(leaseMs), "--server", server.url]));
  jobGateway = startCli(footballProgram, ["gateway", "--jobs", "--listen", "127.0.0.1:0", "--server", server.url]);
  // The request form on the same workers (they answer requests as well as jobs), to compare with.
  requestGateway = startCli(footballProgram, ["gateway", "--listen", "127.0.0.1:0", "--server", server.url]);
  await Promise.all(workers.map((worker) => worker.waitForLog((line) => line.msg === "serving", 15_000)));
  jobUrl = (await jobGateway.waitForLog((line) => line.msg === "gateway serving", 15_000)).url as string;
  requestUrl = (await requestGateway.waitForLog((line) => line.msg === "gateway serving", 15_000)).url as string;
}, 30_000);

afterAll(async () => {
  await Promise.all([...(workers ?? []), jobGateway, requestGateway].map((cli) => cli?.kill()));
  await nc?.close();
  await server?.stop();
});

// As the seed's curl sends it: --data, so Content-Type application/x-www-form-urlencoded.
async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/football`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers }, body });
  return { status: response.status, text: await response.text() };
}

test("a valid POST is 200 with the request form's odds, to the last bit, through a job", async () => {
  for (const [index, [home, away]] of [
    [0.1, 1],
    [1.4, 1.1],
    [0, 0],
    [3.7, 0.2],
  ].entries()) {
    const body = JSON.stringify({ game_id: `match-${index}`, home_expected: home, away_expected: away });
    const viaJob = await post(jobUrl, body, { "Idempotency-Key": `valid-${index}` });
    const viaRequest = await post(requestUrl, body);
    expect(viaJob.status).toBe(200);
    expect(viaRequest.status).toBe(200);
    expect(JSON.parse(viaJob.text)).toEqual(JSON.parse(viaRequest.text));
    // The Idempotency-Key is the job's id: the gateway's call was that job, and it is over.
    expect((await jobs.status(`valid-${index}`))?.state).toBe(JobState.Completed);
  }
});

test("a key sent again is the same job: it answers the first result and runs nothing", async () => {
  const first = await post(jobUrl, JSON.stringify({ game_id: "keyed", home_expected: 1.4, away_expected: 1.1 }), { "Idempotency-Key": "keyed-once" });
  const again = await post(jobUrl, JSON.stringify({ game_id: "keyed", home_expected: 1.4, away_expected: 1.1 }), { "Idempotency-Key": "keyed-once" });
  expect(first.status).toBe(200);
  expect(again.text).toBe(first.text);
  expect(await jobs.status("keyed-once")).toMatchObject({ state: JobState.Completed, attempt: 1 });
});

test.each([
  ["the seed's invalid sample", '{"game_id": "qwertyui", "home_expected": "0.1", "away_expected": -1}', "qwertyui", /away_expected/],
  ["a string that is no number", '{"game_id": "g1", "home_expected": "lots", "away_expected": 1}', "g1", /home_expected/],
  ["an empty game_id", '{"game_id": "", "home_expected": 1, "away_expected": 1}', "", /game_id/],
])("%s is 400 with the seed's {game_id, error}, and enqueues no job", async (name, body, gameId, error) => {
  const key = `invalid-${name.replaceAll(/[^a-z]/g, "-")}`;
  const reply = await post(jobUrl, body, { "Idempotency-Key": key });
  expect(reply.status).toBe(400);
  const json = JSON.parse(reply.text) as Record<string, unknown>;
  expect(Object.keys(json).sort()).toEqual(["error", "game_id"]);
  expect(json.game_id).toBe(gameId);
  expect(json.error).toMatch(error);
  // The validation interceptor answered at the gateway, before the job transport.
  expect(await jobs.status(key)).toBeUndefined();
});

test("a worker killed with SIGKILL under a steady load loses no request: its jobs run on the other after the lease", async () => {
  const pool = new Pool(jobUrl, { connections: 32 });
  const durations = new Map<number, number>();
  try {
    // 300 requests, one every 20 ms (about 6 s), each answered or failed on its own; the
    // Idempotency-Key names each one's job.
    const load = startSteadyLoad(
      async (id) => {
        const startedAt = performance.now();
        const response = await pool.request({
          path: "/football",
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": `load-${id}` },
          body: JSON.stringify({ game_id: `load-${id}`, home_expected: (id % 30) / 10, away_expected: 1.1 }),
        });
        const text = await response.body.text();
        durations.set(id, performance.now() - startedAt);
        return `${response.statusCode} ${text}`;
      },
      { intervalMs: 20, maxCalls: 300, settleTimeoutMs: 15_000 },
    );
    await waitUntil("100 requests started", () => load.started() >= 100);
    // A job takes a few milliseconds: at this rate a worker holds one a fraction of the time.
    // Frozen for a moment first, as a hung worker is, it surely holds some when it dies.
    const [doomed, survivor] = workers as [RunningCli, RunningCli];
    const survivorInstance = String((await survivor.waitForLog((line) => line.msg === "serving"))["instance"]);
    process.kill(doomed.child.pid!, "SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await doomed.kill();
    await waitUntil("every request started", () => load.started() === 300, 15_000);
    const outcomes = await load.stop();

    expect(outcomes).toHaveLength(300);
    const failed = outcomes.filter((outcome) => outcome.outcome !== "ok" || !outcome.value!.startsWith("200 "));
    expect(failed).toEqual([]);
    outcomes.forEach((outcome) => expect(JSON.parse(outcome.value!.slice(4))).toMatchObject({ game_id: `load-${outcome.id}` }));

    // The jobs the killed worker held (one per place: 8 at most) started on the survivor once
    // their lease had run out, and their requests waited that long; the others went on at once.
    const statuses = await Promise.all(outcomes.map((outcome) => jobs.status(`load-${outcome.id}`)));
    expect(statuses.every((status) => status?.state === JobState.Completed)).toBe(true);
    const waited = (index: number) => statuses[index]!.startedAt!.getTime() - statuses[index]!.enqueuedAt.getTime();
    const held = outcomes.filter((outcome) => waited(outcome.id) >= leaseMs * 0.8);
    expect(held.length).toBeGreaterThan(0);
    expect(held.length).toBeLessThanOrEqual(8);
    for (const { id } of held) {
      expect(statuses[id]!.worker).toBe(survivorInstance);
      expect(durations.get(id)).toBeGreaterThanOrEqual(leaseMs * 0.8);
    }
    expect(Math.max(...durations.values())).toBeLessThan(leaseMs + 4_000);
  } finally {
    await pool.close();
  }
}, 45_000);
