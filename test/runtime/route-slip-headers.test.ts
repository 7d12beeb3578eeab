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
  sent.append("nats-pipeline-stop", "Old");
  sent.append("NATS-PIPELINE-HISTORY", "Old@2020-01-01T00:00:00.000Z");
  sent.append("Traceparent", "00-1-2-01");
  setSlipHeaders(sent, slip);
  expect(sent.values(HeaderName.PipelineStop)).toEqual(["Weigh"]);
  expect(sent.keys().filter((name) => name.toLowerCase() === HeaderName.PipelineStop.toLowerCase())).toEqual([HeaderName.PipelineStop]);
  expect(readSlip(natsHeaderReader(sent)).slip).toEqual(slip);
  expect(sent.get("Traceparent")).toBe("00-1-2-01");
  // No history and no replay: their headers are left out.
  setSlipHeaders(sent, { ...slip, history: [] });
  expect(natsHeader(sent, HeaderName.PipelineHistory)).toBe("");
  expect(natsHeader(sent, HeaderName.PipelineReplay)).toBe("");
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
  sent.append("nats-pipeline-stop", "Stray");
  sent.append("Nats-Rpc-Timeout-Ms", "5000");
  sent.append("Nats-Msg-Id", "r1.1");
  sent.append("Traceparent", "00-1-2-01");
  const forwarded = forwardedHeaders(sent);
  expect(forwarded.keys()).toEqual(["Traceparent"]);
  setSlipHeaders(forwarded, { ...slip, stop: "Label", remaining: ["Print"], position: 2 });
  expect(readSlip(natsHeaderReader(forwarded)).slip).toMatchObject({ stop: "Label", remaining: ["Print"], position: 2 });
});
