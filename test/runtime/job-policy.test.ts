// Job policies: how the `job` proto options of a method and its service layer over the defaults,
// and the back-off between attempts.
import { defineService } from "nats-micro-runtime/service";
import { defaultJobPolicy, jobBackoffMs } from "nats-micro-runtime/jobs";
import { Chores } from "../gen/testing/jobs/v1/chores_pb.js";
import { Calc } from "../../example/src/gen/calc/v1/calc_pb.js";

describe("job policy", () => {
  it("takes a method's option over its service's, over the defaults", () => {
    const [doChore, slow] = defineService(Chores).endpoints;
    expect(doChore!.job).toEqual({
      ...defaultJobPolicy,
      attempts: 3,
      backoffInitialMs: 100,
      backoffMaxMs: 1_000,
      attemptTimeoutMs: 10_000,
      retentionMs: 600_000,
    });
    // Slow sets attempts and the attempt time; the back-off is the service's.
    expect(slow!.job).toMatchObject({ attempts: 2, attemptTimeoutMs: 2_000, backoffInitialMs: 100, backoffMaxMs: 1_000 });
  });

  it("is the defaults without options", () => {
    for (const endpoint of defineService(Calc).endpoints) {
      expect(endpoint.job).toEqual(endpoint.timeoutMs === undefined ? defaultJobPolicy : { ...defaultJobPolicy, attemptTimeoutMs: endpoint.timeoutMs });
    }
  });

  it("backs off exponentially, capped, with jitter over the upper half", () => {
    const policy = { ...defaultJobPolicy, backoffInitialMs: 100, backoffMultiplier: 2, backoffMaxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => jobBackoffMs(policy, attempt, 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 6].map((attempt) => jobBackoffMs(policy, attempt, 0.999_999))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    const draws = Array.from({ length: 200 }, () => jobBackoffMs(policy, 3));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...draws)).toBeLessThanOrEqual(400);
    expect(new Set(draws).size).toBeGreaterThan(10);
  });
});
