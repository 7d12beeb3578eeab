import { headers } from "@nats-io/nats-core";
import { HeaderName } from "../../runtime/src/protocol/header-name.js";
import { carriedHeaders, forwardedHeaders, readSlip, setSlipHeaders, type RouteSlip } from "../../runtime/src/pipeline/route-slip.js";
import { deleteNatsHeader, natsHeader, natsHeaderReader } from "../../runtime/src/transport/nats/message-headers.js";

const slip: RouteSlip = {
  pipeline: "Ship",
  id: "r1",
  stop: "Weigh",
  remaining: ["Label", "Print"],
  position: 1,
  original: ["Intake", "Weigh", "Label", "Print"],
  history: [{ stop: "Intake", at: new Date("2026-01-02T03:04:05.006Z") }],
  started: new Date("2026-01-02T03:04:05.000Z"),
  type: "testing.pipeline.v1.Parcel",
  replay: 0,
};

test("natsHeaderReader answers what natsHeader answers, names in any case", () => {
  const sent = headers();
  sent.append("X-Tag", "a");
  sent.append("X-Tag", "b");
  sent.append("x-tag", "c");
  sent.append("Traceparent", "00-1-2-01");
  const read = natsHeaderReader(sent);
  for (const name of ["X-Tag", "x-tag", "X-TAG", "traceparent", "Missing"]) {
    expect(read(name)).toBe(natsHeader(sent, name));
  }
  expect(read("x-tag")).toBe("a");
  expect(natsHeaderReader(undefined)("X-Tag")).toBe("");
});

test("deleteNatsHeader deletes every spelling of a name", () => {
  const sent = headers();
  sent.append("Nats-Timeout", "1");
  sent.append("nats-timeout", "2");
  sent.append("Other", "3");
  deleteNatsHeader(sent, "NATS-TIMEOUT");
  expect(sent.keys()).toEqual(["Other"]);
});

test("a slip written to headers reads back the same, and replaces a slip in another spelling", () => {
  const sent = headers();
  sent.append("nats-pipeline-slip", JSON.stringify({ stop: "Old", route: [], original: ["Old"], position: 0 }));
  sent.append("NATS-PIPELINE-ROUTE-ID", "old");
  sent.append("Traceparent", "00-1-2-01");
  setSlipHeaders(sent, slip);
  expect(sent.keys()).toEqual(["Traceparent", HeaderName.PipelineRouteId, HeaderName.PipelineSlip]);
  expect(sent.values(HeaderName.PipelineRouteId)).toEqual(["r1"]);
  expect(readSlip(natsHeaderReader(sent)).slip).toEqual(slip);
  expect(sent.get("Traceparent")).toBe("00-1-2-01");
  // The slip is one line of JSON that a person can read: stops by name, times in RFC 3339.
  expect(JSON.parse(sent.get(HeaderName.PipelineSlip))).toEqual({
    pipeline: "Ship",
    stop: "Weigh",
    route: ["Label", "Print"],
    position: 1,
    original: ["Intake", "Weigh", "Label", "Print"],
    history: ["Intake@2026-01-02T03:04:05.006Z"],
    started: "2026-01-02T03:04:05.000Z",
    type: "testing.pipeline.v1.Parcel",
  });
  setSlipHeaders(sent, { ...slip, replay: 2 });
  expect(readSlip(natsHeaderReader(sent)).slip).toEqual({ ...slip, replay: 2 });
});

test("the times of a slip read are written on as they came, and a new hop's in RFC 3339", () => {
  const sent = headers();
  sent.append(HeaderName.PipelineRouteId, "r1");
  sent.append(HeaderName.PipelineSlip, JSON.stringify({ stop: "Label", route: [], original: ["Weigh", "Label"], position: 1, history: ["Weigh@2026-01-02T03:04:05+01:00"], started: "2026-01-02T02:00:00Z" }));
  const read = readSlip(natsHeaderReader(sent)).slip!;
  expect(read.history[0]!.at.getTime()).toBe(Date.parse("2026-01-02T02:04:05.000Z"));
  expect(read.started.getTime()).toBe(Date.parse("2026-01-02T02:00:00.000Z"));
  const forwarded = forwardedHeaders(sent);
  setSlipHeaders(forwarded, { ...read, history: [...read.history, { stop: "Label", at: new Date("2026-01-02T02:05:00.000Z") }], position: 2 });
  expect(JSON.parse(forwarded.get(HeaderName.PipelineSlip))).toMatchObject({
    history: ["Weigh@2026-01-02T03:04:05+01:00", "Label@2026-01-02T02:05:00.000Z"],
    started: "2026-01-02T02:00:00Z",
  });
});

test("a slip that cannot be read says why", () => {
  const problem = (values: Record<string, string>) => readSlip((name) => values[name] ?? "").problem;
  const id = { [HeaderName.PipelineRouteId]: "r1" };
  const good = { stop: "Weigh", route: ["Print"], original: ["Weigh", "Print"], position: 0 };
  expect(problem({})).toMatch(/no valid Nats-Pipeline-Route-Id/);
  expect(problem({ ...id, [HeaderName.PipelineSlip]: "{" })).toMatch(/not JSON/);
  expect(problem({ ...id, [HeaderName.PipelineSlip]: "[]" })).toMatch(/lacks the stop/);
  expect(problem({ ...id, [HeaderName.PipelineSlip]: JSON.stringify({ ...good, route: "Print" }) })).toMatch(/lacks the stop/);
  expect(problem({ ...id, [HeaderName.PipelineSlip]: JSON.stringify({ ...good, route: ["no good"] }) })).toMatch(/"no good", which cannot be a stop/);
  expect(problem({ ...id, [HeaderName.PipelineSlip]: JSON.stringify({ ...good, position: -1 }) })).toMatch(/position is not a whole number/);
  expect(problem({ ...id, [HeaderName.PipelineSlip]: JSON.stringify({ ...good, history: ["Intake"] }) })).toMatch(/not stop@time: "Intake"/);
  // Fields it does not know are left alone; those it can do without take their defaults.
  expect(readSlip((name) => ({ ...id, [HeaderName.PipelineSlip]: JSON.stringify({ ...good, later: true }) })[name] ?? "").slip).toMatchObject({ pipeline: "", history: [], type: "", replay: 0 });
});

test("carried headers keep every header and value but those that steer one publish", () => {
  const sent = headers();
  sent.append("Nats-Msg-Id", "r1.1");
  sent.append("Nats-Expected-Stream", "S");
  sent.append("X-Tag", "a");
  sent.append("X-Tag", "b");
  sent.append("X-Name", "Zoë");
  const carried = carriedHeaders(sent);
  expect(carried.keys()).toEqual(["X-Tag", "X-Name"]);
  expect(carried.values("X-Tag")).toEqual(["a", "b"]);
  expect(carried.get("X-Name")).toBe("Zoë");
  carried.append("X-Tag", "c");
  expect(sent.values("X-Tag")).toEqual(["a", "b"]);
  expect(carriedHeaders(undefined).keys()).toEqual([]);
});

test("forwarded headers leave out the slip, the attempt's timeout and what steers one publish", () => {
  const sent = headers();
  setSlipHeaders(sent, slip);
  sent.append("nats-pipeline-slip", "{}");
  sent.append("Nats-Rpc-Timeout-Ms", "5000");
  sent.append("Nats-Msg-Id", "r1.1");
  sent.append("Traceparent", "00-1-2-01");
  const forwarded = forwardedHeaders(sent);
  expect(forwarded.keys()).toEqual(["Traceparent"]);
  setSlipHeaders(forwarded, { ...slip, stop: "Label", remaining: ["Print"], position: 2 });
  expect(readSlip(natsHeaderReader(forwarded)).slip).toMatchObject({ stop: "Label", remaining: ["Print"], position: 2 });
});
