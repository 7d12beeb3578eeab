// "nats-micro-runtime/jobs": the same handlers as durable jobs on JetStream (docs/jobs.md).
export { serveJobs, type FinishedJob, type JobWorkerOptions } from "./serve-jobs.js";
export { createJobClient, type EnqueueOptions, type JobClient, type JobClientOptions, type ListJobsOptions } from "./create-job-client.js";
export type { JobHandle, JobResultOptions, JobStatus } from "./job-handle.js";
export type { DeadLetter } from "./dead-letters.js";
export { JobState, isFinished } from "./job-record.js";
export { jobNames, checkJobId, defaultJobSubjectPrefix, type JobNames } from "./job-names.js";
export type { JobOutcome } from "./job-counters.js";
export type { JobMetrics } from "./job-metrics.js";
export { defaultDuplicateWindowMs, defaultDeadLetterRetentionMs, type JobStoreOptions } from "./job-store.js";
export { defaultJobPolicy, jobBackoffMs, type JobPolicy } from "../service/job-policy.js";
export type { JobContext } from "../service/job-context.js";
export { jobTransport, idempotencyKeyHeader } from "./job-transport.js";
