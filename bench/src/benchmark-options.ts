import { parseArgs } from "node:util";
import { caseKindNamed, caseKinds, type CaseKind } from "./case-kinds.js";
import { jobSystems, type JobSystem } from "./jobs/job-systems.js";
import type { MoviesBenchmarkOptions } from "./movies/movies-benchmark.js";
import type { StreamingBenchmarkOptions } from "./streaming/streaming-benchmark.js";
import { defaultMoviesOptions } from "./movies/movies-options.js";
import { pipelineSystems, type PipelineSystem } from "./pipeline/pipeline-systems.js";

/** What one benchmark run does; every count and duration is a bound. */
export interface BenchmarkOptions {
  cases: readonly CaseKind[];
  inFlight: readonly number[];
  repetitions: number;
  warmupRequests: number;
  warmupMs: number;
  /** Each measured run ends after this many requests or this long, whichever comes first. */
  requests: number;
  durationMs: number;
  /** Requests for the host memory check (the first 1,000 are the baseline); 0 skips it. */
  memoryRequests: number;
  /** Extra node flags for the host of the memory check, such as `--max-semi-space-size=1`. */
  memoryHostFlags: readonly string[];
  /** Repetitions of the code generation benchmark; 0 skips it. */
  codegenRepetitions: number;
  codegenServices: number;
  codegenMethods: number;
  /** Where to write every figure as JSON, if anywhere. */
  jsonFile: string | undefined;
  /** A directory for `--cpu-prof` profiles of the servers and load clients, if any. */
  profileDirectory: string | undefined;
  /** Whether to run the HTTP gateway benchmark (`--gateway`), or only it (`--gateway-only`). */
  gateway: "skip" | "also" | "only";
  /** `ab -n` of each gateway run, its repetitions, and the one-in-flight calls per path. */
  gatewayRequests: number;
  gatewayRepetitions: number;
  gatewayLatencyCalls: number;
  /** Whether to run the durable jobs benchmark (`--jobs`), or only it (`--jobs-only`). */
  jobs: "skip" | "also" | "only";
  /** The job systems to run (all unless `--jobs-systems`): to profile one alone, say. */
  jobsSystems: readonly JobSystem[];
  /** Jobs outstanding, repetitions, and the bounds of each warm-up and measured run of the jobs benchmark. */
  jobsOutstanding: readonly number[];
  jobsRepetitions: number;
  jobsWarmupMs: number;
  jobsDurationMs: number;
  jobsMax: number;
  /** Jobs each worker runs at once. */
  jobsConcurrency: number;
  /** The machine's Redis for BullMQ, `host:port`. */
  redisAddress: string;
  /** Whether to run the pipeline benchmark (`--pipeline`), or only it (`--pipeline-only`). */
  pipeline: "skip" | "also" | "only";
  /** The pipeline systems to run (both unless `--pipeline-systems`). */
  pipelineSystems: readonly PipelineSystem[];
  /** Instances of every stop (rising), records outstanding, repetitions, and the bounds of each pipeline run. */
  pipelineInstances: readonly number[];
  pipelineOutstanding: readonly number[];
  pipelineRepetitions: number;
  pipelineWarmupMs: number;
  pipelineDurationMs: number;
  pipelineMax: number;
  /** Records each instance of a stop handles at once. */
  pipelinePerStop: number;
  /** Whether to run the movies example's benchmark (`--movies`; `npm run bench:movies` runs it alone, with flags of its own). */
  movies: boolean;
  /** Its settings: the full run's, or with `--quick` the short run's. */
  moviesOptions: MoviesBenchmarkOptions;
  /** Whether to run the streaming benchmark (`--streaming`; `npm run bench:streaming` runs it alone, with flags of its own). */
  streaming: boolean;
  /** Its settings: the full run's, or with `--quick` the short run's. */
  streamingOptions: StreamingBenchmarkOptions;
}

/** The flags, as `npm run bench -- --help` prints them. */
export const usage = `usage: npm run bench -- [flags]

  --quick                   a short run: 2 repetitions of 500 ms, small memory and codegen checks
  --cases a,b,...           cases to run (default: all): ${caseKinds.map((kind) => kind.name).join(", ")}
  --in-flight 1,16,128      requests in flight
  --repetitions N           interleaved repetitions of every case (default 3)
  --duration-ms N           length of each measured run (default 3000)
  --requests N              most requests in a measured run (default 1000000)
  --warmup-ms N             length of each warm-up (default 1000)
  --warmup-requests N       most requests in a warm-up (default 50000)
  --memory-requests N       requests of the host memory check (default 100000; 0 skips it)
  --memory-host-flags=...   node flags for the memory check's host, e.g. --memory-host-flags=--max-semi-space-size=1
  --codegen-repetitions N   repetitions of the code generation benchmark (default 5; 0 skips it)
  --codegen-services N      services in the generated schema (default 200)
  --codegen-methods N       methods per service (default 10)
  --json FILE               also write every figure as JSON
  --profile DIR             write CPU profiles (node --cpu-prof) of servers and clients to DIR
                            (and of the gateway processes with --gateway, the jobs workers and producers with --jobs)
  --gateway                 also run the HTTP gateway benchmark (ab against the football example; npm run bench does)
  --gateway-only            run only the HTTP gateway benchmark (npm run bench:gateway)
  --gateway-requests N      ab -n of each gateway run (default 10000)
  --gateway-repetitions N   interleaved repetitions of the gateway runs (default 3)
  --gateway-latency-calls N one-in-flight calls per path in the latency comparison (default 5000)
  --jobs                    also run the durable jobs benchmark (ours, BullMQ, bare JetStream; npm run bench does)
  --jobs-only               run only the durable jobs benchmark (npm run bench:jobs)
  --jobs-systems a,b,...    job systems to run (default: all): ${jobSystems.join(", ")}
  --jobs-outstanding 1,16,128  jobs outstanding (producers in the closed loop)
  --jobs-repetitions N      interleaved repetitions of the jobs runs (default 3)
  --jobs-duration-ms N      length of each measured jobs run (default 3000)
  --jobs-warmup-ms N        length of each jobs warm-up (default 1000)
  --jobs-max N              most jobs in a measured run or a warm-up (default 200000)
  --jobs-concurrency N      jobs each worker runs at once (default 128)
  --redis HOST:PORT         the Redis for BullMQ (default 127.0.0.1:6379; skipped with a note if none answers)
  --pipeline                also run the pipeline benchmark (ours against a bare JetStream chain; npm run bench does)
  --pipeline-only           run only the pipeline benchmark (npm run bench:pipeline)
  --pipeline-systems a,b    pipeline systems to run (default: all): ${pipelineSystems.join(", ")}
  --pipeline-instances 1,2  instances of every stop, rising (each a process with the four stops)
  --pipeline-outstanding 1,128  records on the route at once (callers in the closed loop)
  --pipeline-repetitions N  interleaved repetitions of the pipeline runs (default 3)
  --pipeline-duration-ms N  length of each measured pipeline run (default 3000)
  --pipeline-warmup-ms N    length of each pipeline warm-up (default 1000)
  --pipeline-max N          most records in a measured run or a warm-up (default 200000)
  --pipeline-per-stop N     records each instance of a stop handles at once (default 32)
  --movies                  also run the movies example's benchmark (GET and POST through its gateway, engine and PostgreSQL;
                            npm run bench does; skipped with a note if PostgreSQL does not answer on 127.0.0.1:5432;
                            npm run bench:movies -- --help for its own flags)
  --streaming               also run the streaming benchmark (server streaming: ours, grpc-js, a raw NATS loop;
                            npm run bench:streaming -- --help for its own flags)
`;

/** Reads the command line; throws with the usage on a mistake. */
export function parseBenchmarkOptions(args: readonly string[]): BenchmarkOptions | "help" {
  const { values } = parseArgs({
    args: [...args],
    options: {
      help: { type: "boolean" },
      quick: { type: "boolean" },
      cases: { type: "string" },
      "in-flight": { type: "string" },
      repetitions: { type: "string" },
      "duration-ms": { type: "string" },
      requests: { type: "string" },
      "warmup-ms": { type: "string" },
      "warmup-requests": { type: "string" },
      "memory-requests": { type: "string" },
      "memory-host-flags": { type: "string" },
      "codegen-repetitions": { type: "string" },
      "codegen-services": { type: "string" },
      "codegen-methods": { type: "string" },
      json: { type: "string" },
      profile: { type: "string" },
      gateway: { type: "boolean" },
      "gateway-only": { type: "boolean" },
      "gateway-requests": { type: "string" },
      "gateway-repetitions": { type: "string" },
      "gateway-latency-calls": { type: "string" },
      jobs: { type: "boolean" },
      "jobs-only": { type: "boolean" },
      "jobs-systems": { type: "string" },
      "jobs-outstanding": { type: "string" },
      "jobs-repetitions": { type: "string" },
      "jobs-duration-ms": { type: "string" },
      "jobs-warmup-ms": { type: "string" },
      "jobs-max": { type: "string" },
      "jobs-concurrency": { type: "string" },
      redis: { type: "string" },
      pipeline: { type: "boolean" },
      "pipeline-only": { type: "boolean" },
      "pipeline-systems": { type: "string" },
      "pipeline-instances": { type: "string" },
      "pipeline-outstanding": { type: "string" },
      "pipeline-repetitions": { type: "string" },
      "pipeline-duration-ms": { type: "string" },
      "pipeline-warmup-ms": { type: "string" },
      "pipeline-max": { type: "string" },
      "pipeline-per-stop": { type: "string" },
      movies: { type: "boolean" },
      streaming: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help === true) {
    return "help";
  }
  const quick = values.quick === true;
  return {
    cases: values.cases === undefined ? caseKinds : values.cases.split(",").map((name) => caseKindNamed(name.trim())),
    inFlight: values["in-flight"] === undefined ? [1, 16, 128] : values["in-flight"].split(",").map((text) => whole("--in-flight", text, 1)),
    repetitions: number("--repetitions", values.repetitions, quick ? 2 : 3, 1),
    durationMs: number("--duration-ms", values["duration-ms"], quick ? 500 : 3_000, 1),
    requests: number("--requests", values.requests, 1_000_000, 1),
    warmupMs: number("--warmup-ms", values["warmup-ms"], quick ? 200 : 1_000, 0),
    warmupRequests: number("--warmup-requests", values["warmup-requests"], 50_000, 0),
    memoryRequests: number("--memory-requests", values["memory-requests"], quick ? 5_000 : 100_000, 0),
    memoryHostFlags: (values["memory-host-flags"] ?? "").split(" ").filter((flag) => flag !== ""),
    codegenRepetitions: number("--codegen-repetitions", values["codegen-repetitions"], quick ? 1 : 5, 0),
    codegenServices: number("--codegen-services", values["codegen-services"], quick ? 20 : 200, 1),
    codegenMethods: number("--codegen-methods", values["codegen-methods"], 10, 1),
    jsonFile: values.json,
    profileDirectory: values.profile,
    gateway: values["gateway-only"] === true ? "only" : values.gateway === true ? "also" : "skip",
    gatewayRequests: number("--gateway-requests", values["gateway-requests"], quick ? 2_000 : 10_000, 1),
    gatewayRepetitions: number("--gateway-repetitions", values["gateway-repetitions"], quick ? 1 : 3, 1),
    gatewayLatencyCalls: number("--gateway-latency-calls", values["gateway-latency-calls"], quick ? 500 : 5_000, 1),
    jobs: values["jobs-only"] === true ? "only" : values.jobs === true ? "also" : "skip",
    jobsSystems: values["jobs-systems"] === undefined ? jobSystems : values["jobs-systems"].split(",").map((name) => jobSystemNamed(name.trim())),
    jobsOutstanding: values["jobs-outstanding"] === undefined ? [1, 16, 128] : values["jobs-outstanding"].split(",").map((text) => whole("--jobs-outstanding", text, 1)),
    jobsRepetitions: number("--jobs-repetitions", values["jobs-repetitions"], quick ? 2 : 3, 1),
    jobsDurationMs: number("--jobs-duration-ms", values["jobs-duration-ms"], quick ? 500 : 3_000, 1),
    jobsWarmupMs: number("--jobs-warmup-ms", values["jobs-warmup-ms"], quick ? 200 : 1_000, 0),
    jobsMax: number("--jobs-max", values["jobs-max"], 200_000, 1),
    jobsConcurrency: number("--jobs-concurrency", values["jobs-concurrency"], 128, 1),
    redisAddress: address("--redis", values.redis ?? "127.0.0.1:6379"),
    pipeline: values["pipeline-only"] === true ? "only" : values.pipeline === true ? "also" : "skip",
    pipelineSystems: values["pipeline-systems"] === undefined ? pipelineSystems : values["pipeline-systems"].split(",").map((name) => pipelineSystemNamed(name.trim())),
    pipelineInstances: rising("--pipeline-instances", values["pipeline-instances"] === undefined ? [1, 2] : values["pipeline-instances"].split(",").map((text) => whole("--pipeline-instances", text, 1))),
    pipelineOutstanding: values["pipeline-outstanding"] === undefined ? [1, 128] : values["pipeline-outstanding"].split(",").map((text) => whole("--pipeline-outstanding", text, 1)),
    pipelineRepetitions: number("--pipeline-repetitions", values["pipeline-repetitions"], quick ? 2 : 3, 1),
    pipelineDurationMs: number("--pipeline-duration-ms", values["pipeline-duration-ms"], quick ? 500 : 3_000, 1),
    pipelineWarmupMs: number("--pipeline-warmup-ms", values["pipeline-warmup-ms"], quick ? 200 : 1_000, 0),
    pipelineMax: number("--pipeline-max", values["pipeline-max"], 200_000, 1),
    pipelinePerStop: number("--pipeline-per-stop", values["pipeline-per-stop"], 32, 1),
    movies: values.movies === true,
    moviesOptions: defaultMoviesOptions(quick),
    streaming: values.streaming === true,
    streamingOptions: quick ? { count: 20_000, payloadBytes: 16, rounds: 2, slowReadMs: 5_000 } : { count: 200_000, payloadBytes: 16, rounds: 5, slowReadMs: 20_000 },
  };
}

function number(flag: string, text: string | undefined, fallback: number, least: number): number {
  return text === undefined ? fallback : whole(flag, text, least);
}

function jobSystemNamed(name: string): JobSystem {
  const system = jobSystems.find((candidate) => candidate === name);
  if (system === undefined) {
    throw new Error(`--jobs-systems: no job system "${name}" (there are ${jobSystems.join(", ")})\n\n${usage}`);
  }
  return system;
}

function pipelineSystemNamed(name: string): PipelineSystem {
  const system = pipelineSystems.find((candidate) => candidate === name);
  if (system === undefined) {
    throw new Error(`--pipeline-systems: no pipeline system "${name}" (there are ${pipelineSystems.join(", ")})\n\n${usage}`);
  }
  return system;
}

// Instance counts only grow: each step starts more stop processes.
function rising(flag: string, values: number[]): number[] {
  if (values.some((value, index) => index > 0 && value <= values[index - 1]!)) {
    throw new Error(`${flag} takes rising whole numbers, such as 1,2, got ${values.join(",")}\n\n${usage}`);
  }
  return values;
}

function address(flag: string, text: string): string {
  const colon = text.lastIndexOf(":");
  if (colon <= 0) {
    throw new Error(`${flag} takes HOST:PORT, got "${text}"\n\n${usage}`);
  }
  whole(flag, text.slice(colon + 1), 1);
  return text;
}

function whole(flag: string, text: string, least: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < least) {
    throw new Error(`${flag} takes a whole number of at least ${least}, got "${text}"\n\n${usage}`);
  }
  return value;
}
