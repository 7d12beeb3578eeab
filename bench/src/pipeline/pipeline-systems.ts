/**
 * The two systems of the pipeline benchmark, each carrying account records through the metrobus
 * example's four stops (BusDriver → ContactPoint → Whitelist → LogStop) on JetStream: ours
 * (`serve` with `servePipeline()` of nats-micro-runtime/pipeline, the routing slip in headers) and
 * a bare chain of the same length written directly with @nats-io/jetstream (the baseline).
 */
export type PipelineSystem = "ours" | "bare";

/** Every system, in the order of the report. */
export const pipelineSystems: readonly PipelineSystem[] = ["ours", "bare"];

/** How each system is named in the tables. */
export const pipelineSystemNames: Record<PipelineSystem, string> = {
  ours: "ours (serve --pipeline)",
  bare: "bare JetStream chain",
};

/** The stops of the route, in order: the metrobus example's Notify pipeline. */
export const benchStops = ["BusDriver", "ContactPoint", "Whitelist", "LogStop"] as const;

/** The metrobus example's pipeline. */
export const benchPipeline = "Notify";

/** Accounts of the benchmark's lookup data: every one has an email, and every email is on the whitelist. */
export const benchAccounts = 1_000;

/** The bare chain's work-queue stream of a stop, its subject, and its durable consumer (the stop's name). */
export const bareStream = (stop: string) => `BENCH_BARE_${stop}`;
export const bareSubject = (stop: string) => `bench.bare.stop.${stop}`;

/** Where the bare chain's last stop announces a record it is done with (core NATS), as ours announces ended routes. */
export const bareDoneSubject = "bench.bare.done";

/** The header that carries a record's id along the bare chain, to its done announcement. */
export const bareIdHeader = "Bench-Id";

/** How long a producer waits for one record to reach the end of the route before the run fails. */
export const recordTimeoutMs = 10_000;
