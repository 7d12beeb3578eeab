// Routing-slip pipelines (docs/pipelines.md) across real processes: the parcel stops run as child
// processes (test/fixtures/pipeline-parcels-stops.mjs) against a real nats-server with JetStream.
// A stop process SIGKILLed after its forward was stored and before its ack, and one killed in the
// middle of a message; a stop that crashes its process on every delivery; the server killed and
// started again mid-flow; and the command line (serve --pipeline, pipeline dead ls / replay). Every
// handler run is counted from the processes' logs.
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager } from "@nats-io/jetstream";
import { listPipelineDeadLetters, PipelineNames } from "nats-micro-runtime/pipeline";
import { startShip } from "../gen/testing/pipeline/v1/parcels_nats.js";
import { runCli, startCli, type RunningCli } from "../helpers/cli-process.js";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";
import { compileTestCode, type CompiledTestCode } from "../helpers/compile-test-code.js";
import { rootDirectory } from "../helpers/paths.js";

const stopsProgram = join(rootDirectory, "test", "fixtures", "pipeline-parcels-stops.mjs");
const parcelsPb = "testing/pipeline/v1/parcels_pb.ts";

let compiled: CompiledTestCode;
let server: NatsProcess | undefined;
let nc: NatsConnection | undefined;
const processes: RunningCli[] = [];

beforeAll(async () => {
  // The fixture is plain JavaScript: it needs the parcel service's descriptor compiled.
  compiled = await compileTestCode(parcelsPb);
}, 90_000);

afterAll(async () => {
  await compiled?.remove();
});

beforeEach(async () => {
  server = await startNatsProcess({ name: "pipeline-processes", jetStream: true });
  nc = await connect({ servers: server.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((child) => child.kill()));
  await nc?.close();
  await server?.stop();
  nc = undefined;
  server = undefined;
});

const fixtureEnv = (more: NodeJS.ProcessEnv = {}) => ({ PARCELS_PB: compiled.moduleOf(parcelsPb), NATS_URL: server!.url, ...more });

/** A stop process serving every parcel stop, once it serves. */
async function startStops(more: NodeJS.ProcessEnv = {}): Promise<RunningCli> {
  const child = startCli(stopsProgram, ["direct"], { env: fixtureEnv({ LEASE_MS: "1000", ...more }) });
  processes.push(child);
  await child.waitForLog((line) => line.msg === "serving", 15_000);
  return child;
}

/** Every handler run that any stop process of the test logged: stop and parcel id. */
function runs(stop: string, id?: string): { id: string; pid: number }[] {
  return processes
    .flatMap((child) => child.logs)
    .filter((line) => line.msg === "stop run" && line["stop"] === stop && (id === undefined || line["id"] === id))
    .map((line) => ({ id: String(line["id"]), pid: line.pid }));
}

const hasExited = (child: RunningCli) => child.child.exitCode !== null || child.child.signalCode !== null;
const uniqueIds = (list: { id: string }[]) => new Set(list.map((run) => run.id));

describe("pipelines across processes", () => {
  it("loses nothing and duplicates nothing downstream when a stop process is killed after its forward and before its ack", async () => {
    const marker = join(compiled.directory, `victim-${Date.now()}`);
    const first = await startStops({ KILL_MARKER: marker });
    const second = await startStops({ KILL_MARKER: marker });
    const ids = Array.from({ length: 40 }, (_, index) => `p${index}`);
    ids.splice(20, 0, "victim");
    for (const id of ids) {
      await startShip(nc!, { id }, { id });
    }
    await waitUntil("every parcel printed", () => uniqueIds(runs("Print")).size === ids.length, 30_000);
    const killed = [first, second].filter(hasExited);
    expect(killed).toHaveLength(1);
    expect(killed[0]!.child.signalCode).toBe("SIGKILL");
    const survivor = [first, second].find((child) => !hasExited(child))!;
    // The victim was weighed twice (its first ack was lost with the process) but forwarded once:
    // the second forward had the first one's message id, and the server dropped it. (The killed
    // process may have begun labelling the victim before it died; the survivor then labels it
    // again, at least once: that run is a redelivery, not a second forward.)
    expect(runs("Weigh", "victim").length).toBe(2);
    expect(runs("Labeller", "victim").filter((run) => run.pid === survivor.child.pid).length).toBeLessThanOrEqual(1);
    // A moment for a duplicate to show up, if there were one.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Messages the killed process held were handled again by the survivor (at least once), but
    // the survivor never got a message twice, and each stop's stream stored each parcel once:
    // no stop forwarded anything twice.
    const jsm = await jetstreamManager(nc!);
    for (const stop of ["Intake", "Weigh", "Labeller", "Print"]) {
      const survivorRuns = runs(stop).filter((run) => run.pid === survivor.child.pid);
      expect(survivorRuns.length).toBe(uniqueIds(survivorRuns).size);
      expect(uniqueIds(runs(stop)).size).toBe(ids.length);
      const { state } = await jsm.streams.info(PipelineNames.stopStream(stop));
      expect({ stop, stored: state.last_seq, waiting: state.messages }).toEqual({ stop, stored: ids.length, waiting: 0 });
    }
    await expect(listPipelineDeadLetters(nc!)).resolves.toEqual([]);
  });

  it("loses nothing when a stop process is killed in the middle of a message: another instance takes it after the lease", async () => {
    const first = await startStops();
    const ids = ["s0", "s1", "s2", "s3"];
    for (const id of ids) {
      await startShip(nc!, { id, instruction: "slow" }, { id });
    }
    const inWeigh = await first.waitForLog((line) => line.msg === "stop run" && line["stop"] === "Weigh", 15_000);
    await first.kill();
    await startStops();
    await waitUntil("every parcel printed", () => uniqueIds(runs("Print")).size === ids.length, 30_000);
    expect(runs("Weigh", String(inWeigh["id"])).length).toBeGreaterThanOrEqual(2);
    expect(runs("Print")).toHaveLength(ids.length);
    expect(runs("Labeller")).toHaveLength(ids.length);
  });

  it("dead-letters a message whose stop crashes its process on every delivery, and the stop goes on", async () => {
    await startShip(nc!, { id: "bomb", instruction: "crash" }, { id: "bomb" });
    // Each process the bomb kills is replaced, as a supervisor would; at most ten.
    for (let started = 0; started < 10; started += 1) {
      const child = await startStops();
      await waitUntil("the process crashed or the bomb dead-lettered", async () => hasExited(child) || (await listPipelineDeadLetters(nc!)).length === 1, 15_000);
      if (!hasExited(child)) {
        break;
      }
    }
    const letters = await listPipelineDeadLetters(nc!);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ id: "bomb", stop: "Intake", reason: "the process of stop Intake stopped during each of its 5 attempts", attempts: 5 });
    // Five attempts counted; the first delivery, young, writes no count (docs/pipelines.md): at most one more.
    expect(runs("Intake", "bomb").length).toBeGreaterThanOrEqual(5);
    expect(runs("Intake", "bomb").length).toBeLessThanOrEqual(6);
    expect(processes.slice(0, -1).every((child) => child.child.signalCode === "SIGKILL")).toBe(true);
    const survivor = processes.at(-1)!;
    expect(hasExited(survivor)).toBe(false);
    await startShip(nc!, { id: "calm" }, { id: "calm" });
    await waitUntil("the calm parcel printed", () => runs("Print", "calm").length === 1, 15_000);
  });

  it("loses nothing when the nats-server is killed and started again mid-flow: started = reached the sink + dead-lettered", async () => {
    await startStops();
    await startStops();
    const ids = Array.from({ length: 200 }, (_, index) => `r${index}`);
    for (const id of ids) {
      await startShip(nc!, { id }, { id });
    }
    await waitUntil("some parcels printed", () => runs("Print").length >= 20, 30_000);
    await server!.kill();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await server!.start();
    await waitUntil("every parcel printed", () => uniqueIds(runs("Print")).size === ids.length, 60_000);
    const dead = await listPipelineDeadLetters(nc!);
    expect(dead).toEqual([]);
    expect([...uniqueIds(runs("Print"))].sort()).toEqual([...ids].sort());
  });

  it("runs the stops with serve --pipeline, and lists and replays dead letters with pipeline dead ls / replay", async () => {
    const serving = startCli(stopsProgram, ["serve", "--pipeline", "--pipeline-lease", "1000", "--server", server!.url], { env: fixtureEnv() });
    processes.push(serving);
    const line = await serving.waitForLog((entry) => entry.msg === "serving", 15_000);
    expect(line["pipeline"]).toEqual({ concurrency: 8, leaseMs: 1_000 });
    await startShip(nc!, { id: "stuck", instruction: "until-replayed" }, { id: "stuck" });
    await serving.waitForLog((entry) => entry.msg === "pipeline message dead-lettered", 15_000);

    const listed = await runCli(stopsProgram, ["pipeline", "dead", "ls", "--json", "--server", server!.url], { env: fixtureEnv() });
    expect(listed.exitCode).toBe(0);
    const letters = JSON.parse(listed.stdout) as { id: string; stop: string; attempts: number; reason: string; error: { code: string }; remaining: string[] }[];
    expect(letters).toEqual([expect.objectContaining({ id: "stuck", stop: "Weigh", attempts: 3, reason: "all 3 attempts at stop Weigh failed", error: expect.objectContaining({ code: "unavailable" }), remaining: ["Labeller", "Print"] })]);
    const table = await runCli(stopsProgram, ["pipeline", "dead", "ls", "--server", server!.url], { env: fixtureEnv() });
    expect(table.stdout).toMatch(/^ID\s+PIPELINE\s+STOP/m);
    expect(table.stdout).toMatch(/stuck\s+Ship\s+Weigh/);

    const replayed = await runCli(stopsProgram, ["pipeline", "dead", "replay", "stuck", "--server", server!.url], { env: fixtureEnv() });
    expect(replayed).toMatchObject({ exitCode: 0, stdout: "replayed stuck to Weigh → Labeller → Print\n" });
    await waitUntil("the replayed parcel printed", () => serving.logs.some((entry) => entry.msg === "stop run" && entry["stop"] === "Print" && entry["id"] === "stuck"), 15_000);
    const missing = await runCli(stopsProgram, ["pipeline", "dead", "replay", "stuck", "--server", server!.url], { env: fixtureEnv() });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain("no dead letter of route stuck");
  });
});
