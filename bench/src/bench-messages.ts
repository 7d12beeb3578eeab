import { create } from "@bufbuild/protobuf";
import { ScoreRequestSchema, type ScoreRequest, type ScoreResponse } from "../gen/bench/v1/bench_pb.js";

/** Subject of the raw NATS case: a plain queue subscription, beside the generated host's subject. */
export const rawSubject = "bench.raw.Score";

/** Subject of the raw case on nats.js v2 (the `nats` package): its own, so that each raw server gets its own requests. */
export const rawV2Subject = "bench.rawv2.Score";

/** Queue group of the raw case, as the generated host's default (`q`). */
export const rawQueueGroup = "q";

/** gRPC and HTTP path of the one method, as gRPC names it. */
export const scorePath = "/bench.v1.Bench/Score";

/**
 * The request every case sends: an id and eight floats (exactly representable in 32 bits, so that
 * binary and JSON carry the same values).
 */
export const scoreRequestInit = { id: "bench-client", samples: [0.5, 1.25, 2, 3.5, 4.75, 5, 6.25, 7.5] };

/** {@link scoreRequestInit} as a message. */
export function scoreRequest(): ScoreRequest {
  return create(ScoreRequestSchema, scoreRequestInit);
}

/** What every server answers, whatever its transport: the sum and count of the samples. */
export function score(request: { id: string; samples: readonly number[] }): { id: string; total: number; count: number } {
  let total = 0;
  for (const sample of request.samples) {
    total += sample;
  }
  return { id: request.id, total, count: request.samples.length };
}

/** Checks a reply, so that a case that gets wrong or empty answers fails instead of looking fast. */
export function checkScore(reply: Pick<ScoreResponse, "id" | "total" | "count">): void {
  if (reply.count !== scoreRequestInit.samples.length || reply.id !== scoreRequestInit.id) {
    throw new Error(`wrong reply: ${JSON.stringify(reply)}`);
  }
}
