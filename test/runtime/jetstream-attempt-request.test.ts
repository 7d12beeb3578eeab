import { getEventListeners } from "node:events";
import type { JsMsg } from "@nats-io/jetstream";
import { JetStreamAttemptRequest } from "../../runtime/src/transport/nats/jetstream-attempt-request.js";

// The request reads its message only for the payload and headers, which these tests do not ask for.
const msg = {} as JsMsg;

test("an attempt's signal follows the runner's stop signal until the attempt ends", () => {
  const stop = new AbortController();
  const request = new JetStreamAttemptRequest(msg, 1_000, stop.signal);
  expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
  const { signal } = request;
  expect(getEventListeners(stop.signal, "abort")).toHaveLength(1);
  stop.abort("stopping");
  expect(signal.aborted).toBe(true);
  expect(signal.reason).toBe("stopping");
});

test("an ended attempt leaves no listener on the runner's stop signal", () => {
  const stop = new AbortController();
  const request = new JetStreamAttemptRequest(msg, 1_000, stop.signal);
  const { signal } = request;
  request.end();
  expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
  stop.abort("stopping");
  expect(signal.aborted).toBe(false);
  new JetStreamAttemptRequest(msg, 1_000, stop.signal).end();
});

test("an attempt that starts after the stop has an aborted signal", () => {
  const request = new JetStreamAttemptRequest(msg, 1_000, AbortSignal.abort("stopped"));
  expect(request.signal.aborted).toBe(true);
  expect(request.signal.reason).toBe("stopped");
  expect(request.header("nats-rpc-timeout-ms")).toBe("1000");
});
