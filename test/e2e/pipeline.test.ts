// Routing-slip pipelines (docs/pipelines.md), in one process against a real nats-server with
// JetStream: the parcel stops of proto/testing/pipeline carry messages along their route with the
// slip in headers, drop, change routes, retry with back-off, dead-letter (after the last attempt,
// for an unknown stop, a loop, a type mismatch) and replay; counts add up; stats and metrics.
// The semantics that need real processes (killed stops, a server restart) are in pipeline-processes.
import { fromBinary } from "@bufbuild/protobuf";
import { connect } from "@nats-io/transport-node";
import type { MsgHdrs, NatsConnection, Subscription } from "@nats-io/nats-core";
import { Code, HeaderName, RpcError, type ServiceHost } from "nats-micro-runtime";
import { createPipelineMetrics } from "nats-micro-runtime/metrics";
import { listPipelineDeadLetters, PipelineNames, replayPipelineDeadLetter, servePipeline, type PipelineServeOptions } from "nats-micro-runtime/pipeline";
import { LabelSchema, type Label, type Parcel } from "../gen/testing/pipeline/v1/parcels_pb.js";
import { ParcelsClient, serveParcels, startRelabel, startShip, type ParcelsHandlers } from "../gen/testing/pipeline/v1/parcels_nats.js";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";

let server: NatsProcess;
let nc: NatsConnection;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeEach(async () => {
  // A server of its own per test: streams, consumers and dead letters start empty.
  server = await startNatsProcess({ name: "pipeline", jetStream: true });
  nc = await connect({ servers: server.url });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
  await nc?.close();
  await server?.stop();
});

/** Every handler call, by stop, with the parcel's id and the attempt. */
interface Calls {
  readonly runs: { stop: string; id: string; attempt: number }[];
  /** Whether Weigh fails for `fail-always` parcels (a replay test turns it off). */
  failAlways: boolean;
}

/** The parcel handlers: each does what the parcel's instruction asks (see parcels.proto). */
function parcelHandlers(calls: Calls): ParcelsHandlers {
  const ran = (stop: string, id: string, attempt: number | undefined) => calls.runs.push({ stop, id, attempt: attempt ?? 0 });
  const noted = (parcel: Parcel, note: string) => ({ ...parcel, notes: [...parcel.notes, note] });
  return {
    async intake(parcel, context) {
      ran("Intake", parcel.id, context.route?.attempt);
      const route = context.route!;
      switch (parcel.instruction) {
        case "drop":
          return undefined;
        case "express":
          route.skip("Weigh");
          break;
        case "loop":
          route.insert("Intake");
          break;
        case "nowhere":
          route.replace(["Nowhere"]);
          break;
        case "mismatch":
          route.replace(["Print"]); // Print takes a Label, and Intake returns a Parcel
          break;
      }
      return noted(parcel, "intake");
    },
    async weigh(parcel, context) {
      ran("Weigh", parcel.id, context.route?.attempt);
      if (parcel.instruction === "fail-once" && context.route?.attempt === 1) {
        throw new RpcError("the scale is busy", Code.Unavailable);
      }
      if (parcel.instruction === "fail-always" && calls.failAlways) {
        throw new RpcError("the scale is broken", Code.Unavailable);
      }
      if (parcel.instruction === "invalid") {
        throw new RpcError("a parcel cannot weigh less than nothing", Code.InvalidArgument);
      }
      return noted({ ...parcel, weight: parcel.weight + 1 }, "weigh");
    },
    async makeLabel(parcel, context) {
      ran("Labeller", parcel.id, context.route?.attempt);
      return { parcelId: parcel.id, text: `parcel ${parcel.id}, ${parcel.weight} kg`, notes: [...parcel.notes, "label"] };
    },
    async print(label, context) {
      ran("Print", label.parcelId, context.route?.attempt);
      return { ...label, notes: [...label.notes, "print"] };
    },
    async track(parcel) {
      return parcel;
    },
  };
}

/** A host of the parcel stops that runs them from their streams, on a connection of its own. */
async function startStops(options: PipelineServeOptions = {}): Promise<{ host: ServiceHost; calls: Calls }> {
  const connection = await connect({ servers: server.url });
  const calls: Calls = { runs: [], failAlways: true };
  const host = await serveParcels(connection, parcelHandlers(calls), { entryPoints: [servePipeline({ leaseMs: 2_000, stopGraceMs: 500, ...options })] });
  cleanups.push(async () => {
    await host.stop();
    await connection.close();
  });
  return { host, calls };
}

/** The labels that reached the end of a pipeline's routes, with their headers. */
interface Sink {
  readonly ended: { label: Label; headers: MsgHdrs | undefined }[];
  ids(): string[];
}

async function watchEnds(pipeline = "Ship"): Promise<Sink> {
  const ended: Sink["ended"] = [];
  const subscription: Subscription = nc.subscribe(PipelineNames.doneSubject(pipeline), {
    callback: (error, msg) => {
      if (error === null) {
        ended.push({ label: fromBinary(LabelSchema, msg.data), headers: msg.headers });
      }
    },
  });
  await nc.flush();
  cleanups.push(() => subscription.unsubscribe());
  return { ended, ids: () => ended.map(({ label }) => label.parcelId) };
}

const stopStats = (host: ServiceHost, endpoint: string) => (host.stats().endpoints.find((each) => each.name === endpoint)?.data as { pipeline: Record<string, number> } | undefined)?.pipeline;

describe("pipelines", () => {
  it("carries a message through every stop of its route, the routing slip in its headers only", async () => {
    await startStops();
    const sink = await watchEnds();
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const started = await startShip(nc, { id: "p1", weight: 2 }, { headers: { traceparent } });
    expect(started).toMatchObject({ pipeline: "Ship", route: ["Intake", "Weigh", "Labeller", "Print"], duplicate: false });
    await waitUntil("the parcel's label at the end of its route", () => sink.ended.length === 1);
    const [{ label, headers }] = sink.ended as [Sink["ended"][0]];
    expect(label).toMatchObject({ parcelId: "p1", text: "parcel p1, 3 kg", notes: ["intake", "weigh", "label", "print"] });
    expect(headers?.get(HeaderName.PipelineRouteId)).toBe(started.id);
    const slip = JSON.parse(headers!.get(HeaderName.PipelineSlip)) as { position: number; original: string[]; type: string; history: string[] };
    expect(slip).toMatchObject({ position: 4, original: ["Intake", "Weigh", "Labeller", "Print"], type: "testing.pipeline.v1.Label" });
    expect(headers?.get(HeaderName.TraceParent)).toBe(traceparent);
    const { history } = slip;
    expect(history.map((hop) => hop.split("@")[0])).toEqual(["Intake", "Weigh", "Labeller", "Print"]);
    const times = history.map((hop) => Date.parse(hop.split("@")[1]!));
    expect(times.every((time, index) => Number.isFinite(time) && (index === 0 || time >= times[index - 1]!))).toBe(true);
  });

  it("drops a message whose stop returns undefined, and changes a route from a router stop", async () => {
    const { host, calls } = await startStops();
    const sink = await watchEnds();
    await startShip(nc, { id: "dropped", instruction: "drop" });
    await startShip(nc, { id: "express", instruction: "express" });
    await waitUntil("the express parcel at the end", () => sink.ended.length === 1);
    expect(sink.ended[0]!.label.notes).toEqual(["intake", "label", "print"]);
    // The dropped parcel went nowhere after Intake, and Weigh never saw the express one.
    await waitUntil("both counted at Intake", () => stopStats(host, "Intake")?.["received"] === 2);
    expect(stopStats(host, "Intake")).toMatchObject({ received: 2, forwarded: 1, dropped: 1, failed: 0, dead_lettered: 0 });
    expect(calls.runs.filter((run) => run.id === "dropped").map((run) => run.stop)).toEqual(["Intake"]);
    expect(calls.runs.filter((run) => run.id === "express").map((run) => run.stop)).toEqual(["Intake", "Labeller", "Print"]);
  });

  it("retries a failed attempt with back-off, and the next stop gets the message once", async () => {
    const { host, calls } = await startStops();
    const sink = await watchEnds();
    await startShip(nc, { id: "busy", instruction: "fail-once" });
    await waitUntil("the parcel at the end", () => sink.ended.length === 1);
    const weighs = calls.runs.filter((run) => run.stop === "Weigh");
    expect(weighs.map((run) => run.attempt)).toEqual([1, 2]);
    expect(calls.runs.filter((run) => run.stop === "Labeller")).toHaveLength(1);
    expect(stopStats(host, "Weigh")).toMatchObject({ received: 2, failed: 1, forwarded: 1, dead_lettered: 0 });
    // An attempt is a request of the endpoint too.
    expect(host.stats().endpoints.find((endpoint) => endpoint.name === "Weigh")).toMatchObject({ num_requests: 2, num_errors: 1 });
  });

  it("dead-letters a message after its last attempt, with its route and history, and replays it from the failed stop", async () => {
    const { host, calls } = await startStops();
    const sink = await watchEnds();
    const started = await startShip(nc, { id: "broken", weight: 5, instruction: "fail-always" });
    let letters = await waitForLetters(1);
    expect(letters[0]).toMatchObject({
      id: started.id,
      pipeline: "Ship",
      stop: "Weigh",
      reason: "all 3 attempts at stop Weigh failed",
      attempts: 3,
      position: 1,
      remaining: ["Labeller", "Print"],
      original: ["Intake", "Weigh", "Labeller", "Print"],
    });
    expect(letters[0]!.error).toMatchObject({ code: Code.Unavailable, rawMessage: "the scale is broken" });
    expect(letters[0]!.history.map((hop) => hop.stop)).toEqual(["Intake"]);
    expect(calls.runs.filter((run) => run.stop === "Weigh").map((run) => run.attempt)).toEqual([1, 2, 3]);
    expect(stopStats(host, "Weigh")).toMatchObject({ failed: 3, dead_lettered: 1, forwarded: 0 });

    // Mended, and replayed from Weigh: Intake does not run again.
    calls.failAlways = false;
    const replayed = await replayPipelineDeadLetter(nc, started.id);
    expect(replayed).toEqual({ id: started.id, stop: "Weigh", route: ["Weigh", "Labeller", "Print"] });
    await waitUntil("the replayed parcel at the end", () => sink.ended.length === 1);
    expect(sink.ended[0]!.label.notes).toEqual(["intake", "weigh", "label", "print"]);
    expect(JSON.parse(sink.ended[0]!.headers!.get(HeaderName.PipelineSlip))).toMatchObject({ replay: 1 });
    expect(calls.runs.filter((run) => run.stop === "Intake")).toHaveLength(1);
    letters = await listPipelineDeadLetters(nc);
    expect(letters).toEqual([]);
    await expect(rpcRejection(replayPipelineDeadLetter(nc, started.id))).resolves.toMatchObject({ code: Code.NotFound });
  });

  it("dead-letters at once a code that is not retried", async () => {
    const { calls } = await startStops();
    await startShip(nc, { id: "negative", instruction: "invalid" });
    const [letter] = await waitForLetters(1);
    expect(letter).toMatchObject({ stop: "Weigh", attempts: 1, reason: "the handler of stop Weigh failed with invalid_argument, which is not retried" });
    expect(calls.runs.filter((run) => run.stop === "Weigh")).toHaveLength(1);
  });

  it("dead-letters an unknown next stop, a route that loops past the hop limit and a type mismatch, and keeps serving", async () => {
    const { host } = await startStops();
    const sink = await watchEnds();
    const nowhere = await startShip(nc, { id: "nowhere", instruction: "nowhere" });
    const loop = await startShip(nc, { id: "loop", instruction: "loop" });
    const mismatch = await startShip(nc, { id: "mismatch", instruction: "mismatch" });
    await startShip(nc, { id: "fine" });
    const letters = await waitForLetters(3);
    const reasonOf = (id: string) => letters.find((letter) => letter.id === id)?.reason;
    expect(reasonOf(nowhere.id)).toBe("unknown stop Nowhere: the route of stop Intake goes on to Nowhere, which has no stream PIPELINE_Nowhere");
    expect(reasonOf(loop.id)).toBe("the route looped: 9 hops made on reaching stop Intake, over its limit of 8");
    expect(reasonOf(mismatch.id)).toBe("type mismatch: stop Print takes testing.pipeline.v1.Label, but the message is a testing.pipeline.v1.Parcel (from stop Intake)");
    expect(letters.find((letter) => letter.id === mismatch.id)?.stop).toBe("Print");
    await waitUntil("the fine parcel at the end", () => sink.ids().includes("fine"));
    expect(stopStats(host, "Intake")).toMatchObject({ dead_lettered: 2 });
    expect(stopStats(host, "Print")).toMatchObject({ dead_lettered: 1, completed: 1 });
  });

  it("counts add up: started = dropped + reached the sink + dead-lettered, each once", async () => {
    const { host } = await startStops({ concurrency: 16 });
    const sink = await watchEnds();
    const instructions = ["", "drop", "fail-always", "express", "fail-once", "nowhere", ""];
    const count = 70;
    for (let index = 0; index < count; index += 1) {
      await startShip(nc, { id: `n${index}`, weight: index, instruction: instructions[index % instructions.length]! });
    }
    const expectedDead = count / instructions.length * 2;
    await waitForLetters(expectedDead, 30_000);
    const dropped = () => stopStats(host, "Intake")?.["dropped"] ?? 0;
    await waitUntil("every parcel ended", () => dropped() + sink.ended.length + expectedDead === count, 30_000);
    expect(dropped()).toBe(count / instructions.length);
    expect(new Set(sink.ids()).size).toBe(sink.ended.length);
    const dead = await listPipelineDeadLetters(nc);
    expect(dead).toHaveLength(expectedDead);
    const deadLettered = ["Intake", "Weigh", "MakeLabel", "Print"].reduce((total, stop) => total + (stopStats(host, stop)?.["dead_lettered"] ?? 0), 0);
    expect(deadLettered).toBe(expectedDead);
    expect(stopStats(host, "Print")?.["completed"]).toBe(sink.ended.length);
  });

  it("shares a stop's messages among its instances, each message handled once", async () => {
    const first = await startStops({ concurrency: 4 });
    const second = await startStops({ concurrency: 4 });
    const sink = await watchEnds();
    const count = 60;
    await Promise.all(Array.from({ length: count }, (_, index) => startShip(nc, { id: `shared${index}` })));
    await waitUntil("every parcel at the end", () => sink.ended.length === count, 30_000);
    expect(new Set(sink.ids()).size).toBe(count);
    const received = (stop: string) => [first.host, second.host].map((host) => stopStats(host, stop)?.["received"] ?? 0);
    for (const stop of ["Intake", "Weigh", "MakeLabel", "Print"]) {
      expect(received(stop).reduce((total, each) => total + each, 0)).toBe(count);
    }
    expect([...first.calls.runs, ...second.calls.runs].filter((run) => run.stop === "Print")).toHaveLength(count);
  });

  it("starts a route once per id, on another route, and on another pipeline", async () => {
    const { calls } = await startStops();
    const ship = await watchEnds();
    const relabel = await watchEnds("Relabel");
    const first = await startShip(nc, { id: "twice" }, { id: "order-17" });
    const again = await startShip(nc, { id: "twice" }, { id: "order-17" });
    expect([first.duplicate, again.duplicate]).toEqual([false, true]);
    await startShip(nc, { id: "short" }, { route: ["Labeller", "Print"] });
    await startRelabel(nc, { id: "relabelled", weight: 7 });
    await waitUntil("three ends", () => ship.ended.length === 2 && relabel.ended.length === 1);
    expect(calls.runs.filter((run) => run.id === "twice" && run.stop === "Print")).toHaveLength(1);
    expect(ship.ended.find(({ label }) => label.parcelId === "short")?.label.notes).toEqual(["label", "print"]);
    expect(relabel.ended[0]!.label.text).toBe("parcel relabelled, 7 kg");
    await expect(rpcRejection(startShip(nc, { id: "x" }, { route: ["Nowhere"] }))).resolves.toMatchObject({ code: Code.NotFound });
    await expect(rpcRejection(startShip(nc, { id: "x" }, { route: ["no spaces"] }))).resolves.toMatchObject({ code: Code.InvalidArgument });
    await expect(rpcRejection(startShip(nc, { id: "x" }, { id: "no.dots" }))).resolves.toMatchObject({ code: Code.InvalidArgument });
  });

  it("marks stops in $SRV.INFO, and reports each stop's counters in $SRV.STATS and in Prometheus metrics", async () => {
    const metrics = createPipelineMetrics();
    const { host } = await startStops({ metrics });
    const sink = await watchEnds();
    await startShip(nc, { id: "m1" });
    await startShip(nc, { id: "m2", instruction: "drop" });
    await waitUntil("one end", () => sink.ended.length === 1);
    const info = host.info().endpoints;
    expect(info.find((endpoint) => endpoint.name === "MakeLabel")?.metadata).toMatchObject({
      "nats.micro.stop": "true",
      "nats.micro.stop.name": "Labeller",
      "nats.micro.stop.pipelines": "Ship,Relabel",
    });
    expect(info.find((endpoint) => endpoint.name === "Track")?.metadata["nats.micro.stop"]).toBeUndefined();
    const intake = stopStats(host, "Intake")!;
    expect(intake).toMatchObject({ received: 2, forwarded: 1, dropped: 1, failed: 0, dead_lettered: 0, completed: 0 });
    const latency = intake["latency_ms"] as unknown as { p50: number; p99: number };
    expect(latency.p50).toBeGreaterThan(0);
    expect(latency.p99).toBeGreaterThanOrEqual(latency.p50);
    expect(stopStats(host, "Track")).toBeUndefined();
    const text = await metrics.registry.metrics();
    expect(text).toContain('nats_micro_pipeline_messages_total{service="Parcels",stop="Intake",event="dropped"} 1');
    expect(text).toContain('nats_micro_pipeline_messages_total{service="Parcels",stop="Print",event="completed"} 1');
    expect(text).toMatch(/nats_micro_pipeline_stop_duration_seconds_count\{service="Parcels",stop="Weigh",outcome="forwarded"\} 1/);
  });

  it("answers a stop called as an RPC, and its drop, with the dropped header", async () => {
    await startStops();
    const client = new ParcelsClient(nc);
    await expect(client.weigh({ id: "rpc", weight: 1 })).resolves.toMatchObject({ weight: 2, notes: ["weigh"] });
    const reply = await nc.request("testing.pipeline.v1.Parcels.Intake", new Uint8Array(0), { timeout: 5_000 }).catch((error: unknown) => error);
    expect(reply).not.toBeInstanceOf(Error);
    // An empty parcel has no instruction: forwarded, not dropped; a drop says so in a header.
    const dropped = await nc.request("testing.pipeline.v1.Parcels.Intake", new Uint8Array([0x1a, 0x04, ...new TextEncoder().encode("drop")]), { timeout: 5_000 });
    expect(dropped.headers?.get(HeaderName.PipelineDropped)).toBe("true");
    expect(dropped.data).toHaveLength(0);
  });
});

// Waits until the dead-letter stream holds `count` letters, and returns them.
async function waitForLetters(count: number, timeoutMs = 15_000) {
  let letters = await listPipelineDeadLetters(nc);
  await waitUntil(`${count} dead letters`, async () => (letters = await listPipelineDeadLetters(nc)).length >= count, timeoutMs);
  return letters;
}
