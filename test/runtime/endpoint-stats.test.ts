import { averageProcessingTimeNs, createEndpointStats, recordRequest, type EndpointStats } from "../../runtime/src/host/endpoint-stats.js";

const stats = (numRequests: number, processingTimeNs: number): EndpointStats => ({ numRequests, numErrors: 0, lastError: "", processingTimeNs });

test("fresh counters are zero, with an empty last error", () => {
  expect(createEndpointStats()).toEqual({ numRequests: 0, numErrors: 0, lastError: "", processingTimeNs: 0 });
  expect(createEndpointStats()).not.toBe(createEndpointStats());
});

test("the average is zero before the first request", () => {
  expect(averageProcessingTimeNs(createEndpointStats())).toBe(0);
});

test("the average is rounded to whole nanoseconds", () => {
  expect(averageProcessingTimeNs(stats(1, 1_500))).toBe(1_500);
  expect(averageProcessingTimeNs(stats(3, 10))).toBe(3);
  expect(averageProcessingTimeNs(stats(3, 11))).toBe(4);
  expect(averageProcessingTimeNs(stats(2, 5))).toBe(3);
  expect(averageProcessingTimeNs(stats(7, 1_000_000_001))).toBe(142_857_143);
});

test("a request is timed from the moment given to now, in nanoseconds", () => {
  const counters = createEndpointStats();
  const before = process.hrtime.bigint();
  recordRequest(counters, before - 2_000_000n, undefined);
  const elapsed = Number(process.hrtime.bigint() - before) + 2_000_000;
  expect(counters.numRequests).toBe(1);
  expect(counters.numErrors).toBe(0);
  expect(counters.lastError).toBe("");
  expect(Number.isInteger(counters.processingTimeNs)).toBe(true);
  expect(counters.processingTimeNs).toBeGreaterThanOrEqual(2_000_000);
  expect(counters.processingTimeNs).toBeLessThanOrEqual(elapsed);
});

test("times add up over requests", () => {
  const counters = createEndpointStats();
  const now = process.hrtime.bigint();
  recordRequest(counters, now - 1_000_000n, undefined);
  recordRequest(counters, now - 3_000_000n, undefined);
  expect(counters.numRequests).toBe(2);
  expect(counters.processingTimeNs).toBeGreaterThanOrEqual(4_000_000);
  expect(averageProcessingTimeNs(counters)).toBe(Math.round(counters.processingTimeNs / 2));
});

test("an error is counted as a request and as an error, and becomes the last error", () => {
  const counters = createEndpointStats();
  const now = process.hrtime.bigint();
  recordRequest(counters, now, "invalid_argument: values must not be empty");
  recordRequest(counters, now, undefined);
  expect(counters).toMatchObject({ numRequests: 2, numErrors: 1, lastError: "invalid_argument: values must not be empty" });
  recordRequest(counters, now, "deadline_exceeded: deadline of 5 ms exceeded");
  expect(counters).toMatchObject({ numRequests: 3, numErrors: 2, lastError: "deadline_exceeded: deadline of 5 ms exceeded" });
  // A success afterwards does not clear the last error.
  recordRequest(counters, now, undefined);
  expect(counters.lastError).toBe("deadline_exceeded: deadline of 5 ms exceeded");
});
