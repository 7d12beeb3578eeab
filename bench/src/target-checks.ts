import type { CodegenBenchmark } from "./codegen-benchmark.js";
import type { CaseRun } from "./measure-cases.js";
import type { MemoryCheck } from "./memory-check.js";
import { spreadOf, type Spread } from "./statistics.js";

/** One target of the benchmark: a ratio measured in this run, and whether it is met. */
export interface TargetCheck {
  /** What is compared, such as "generated / raw requests/s at 16 in flight". */
  name: string;
  /** Median of the ratio over the repetitions, with its range. */
  ratio: Spread;
  /** The bound: at least `limit` (higher is better) or at most `limit`. */
  bound: "at least" | "at most";
  limit: number;
  met: boolean;
}

type Figure = "requestsPerSecond" | "p50Ms";

/**
 * The targets, from the runs of this one invocation. A ratio is taken within each repetition
 * (the two cases ran moments apart) and the median of those ratios is held to the limit. A target
 * whose cases did not run is left out.
 */
export function checkTargets(runs: readonly CaseRun[], memory: MemoryCheck | undefined, codegen: CodegenBenchmark | undefined): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const compare = (subject: string, base: string, figure: Figure, inFlight: number, bound: TargetCheck["bound"], limit: number) => {
    const ratios = ratiosPerRepetition(runs, subject, base, figure, inFlight);
    if (ratios.length > 0) {
      const what = figure === "requestsPerSecond" ? "requests/s" : "p50 latency";
      checks.push(target(`${subject} / ${base} ${what} at ${inFlight} in flight`, spreadOf(ratios), bound, limit));
    }
  };
  // Like with like: each generated case against the raw case with the same connection options.
  for (const [generated, raw] of [
    ["generated", "raw"],
    ["generated-no-traces", "raw-no-traces"],
  ] as const) {
    // One in flight is a call's latency alone, with nothing to share a socket write with: the
    // generated stack's own cost per call shows most there, so its bounds are tighter.
    compare(generated, raw, "requestsPerSecond", 1, "at least", 0.95);
    compare(generated, raw, "p50Ms", 1, "at most", 1.05);
    for (const inFlight of [16, 128]) {
      compare(generated, raw, "requestsPerSecond", inFlight, "at least", 0.9);
      compare(generated, raw, "p50Ms", inFlight, "at most", 1.1);
    }
  }
  compare("generated", "grpc", "requestsPerSecond", 128, "at least", 4);
  compare("generated", "http", "requestsPerSecond", 128, "at least", 1.3);
  if (memory !== undefined) {
    checks.push(
      target(
        `host RSS after ${memory.totalRequests} requests / after ${memory.baselineRequests}`,
        spreadOf([memory.rssRatio]),
        "at most",
        1.1,
      ),
    );
  }
  if (codegen !== undefined) {
    checks.push(target(`protoc-gen-nats / protoc-gen-es time, ${codegen.services} services x ${codegen.methods / codegen.services} methods`, codegen.ratio, "at most", 2));
  }
  return checks;
}

/** A ratio of two cases that the report shows without a bound, such as nats.js v3 against v2. */
export interface Comparison {
  name: string;
  ratio: Spread;
}

/**
 * nats.js v3 against v2, raw against raw (each ratio within a repetition, as for the targets):
 * what the move to v3 changed by itself, measured in the same run. Cases that did not run are left out.
 */
export function compareNatsVersions(runs: readonly CaseRun[], inFlight: readonly number[]): Comparison[] {
  const comparisons: Comparison[] = [];
  for (const [v3, v2] of [
    ["raw", "raw-v2"],
    ["raw-no-traces", "raw-v2-no-traces"],
  ] as const) {
    for (const requestsInFlight of inFlight) {
      for (const figure of ["requestsPerSecond", "p50Ms"] as const) {
        const ratios = ratiosPerRepetition(runs, v3, v2, figure, requestsInFlight);
        if (ratios.length > 0) {
          const what = figure === "requestsPerSecond" ? "requests/s" : "p50 latency";
          comparisons.push({ name: `${v3} / ${v2} ${what} at ${requestsInFlight} in flight`, ratio: spreadOf(ratios) });
        }
      }
    }
  }
  return comparisons;
}

function target(name: string, ratio: Spread, bound: TargetCheck["bound"], limit: number): TargetCheck {
  return { name, ratio, bound, limit, met: bound === "at least" ? ratio.median >= limit : ratio.median <= limit };
}

function ratiosPerRepetition(runs: readonly CaseRun[], subject: string, base: string, figure: Figure, inFlight: number): number[] {
  const ratios: number[] = [];
  for (const run of runs) {
    if (run.kind !== subject || run.inFlight !== inFlight) {
      continue;
    }
    const baseRun = runs.find((candidate) => candidate.kind === base && candidate.inFlight === inFlight && candidate.repetition === run.repetition);
    if (baseRun !== undefined) {
      ratios.push(run[figure] / baseRun[figure]);
    }
  }
  return ratios;
}
