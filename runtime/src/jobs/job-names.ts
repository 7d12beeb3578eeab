import { RpcError } from "../protocol/rpc-error.js";
import { Code } from "../protocol/code.js";

/** The subject prefix of every job subject unless told otherwise. */
export const defaultJobSubjectPrefix = "jobs";

/**
 * Where the jobs of one service live on JetStream (docs/jobs.md), all named from its ADR-32 name:
 * the work-queue stream, the dead-letter stream, the key-value bucket of job records, and the
 * subjects of each.
 */
export interface JobNames {
  /** The work-queue stream: `JOBS_<service>`. */
  readonly workStream: string;
  /** The dead-letter stream: `JOBS_<service>_DEAD`. */
  readonly deadStream: string;
  /** The key-value bucket of job records: `JOBS_<service>`. */
  readonly bucket: string;
  /** Subjects of the work-queue stream: `<prefix>.<service>.run.>`. */
  readonly workSubjects: string;
  /** Subjects of the dead-letter stream: `<prefix>.<service>.dead.>`. */
  readonly deadSubjects: string;
  /** Where the jobs of a method are queued: `<prefix>.<service>.run.<method>`. */
  workSubject(method: string): string;
  /** Where a job's dead letter is kept: `<prefix>.<service>.dead.<method>.<id>`, one per job. */
  deadSubject(method: string, id: string): string;
  /** Where a job's end is announced (core NATS, no payload needed): `<prefix>.<service>.done.<id>`. */
  doneSubject(id: string): string;
  /** The durable consumer of a method's jobs: the method name. */
  consumer(method: string): string;
}

/** The names of a service's jobs; `prefix` is {@link defaultJobSubjectPrefix} unless given. */
export function jobNames(service: string, prefix = defaultJobSubjectPrefix): JobNames {
  const base = `${prefix}.${service}`;
  return {
    workStream: `JOBS_${service}`,
    deadStream: `JOBS_${service}_DEAD`,
    bucket: `JOBS_${service}`,
    workSubjects: `${base}.run.>`,
    deadSubjects: `${base}.dead.>`,
    workSubject: (method) => `${base}.run.${method}`,
    deadSubject: (method, id) => `${base}.dead.${method}.${id}`,
    doneSubject: (id) => `${base}.done.${id}`,
    consumer: (method) => method,
  };
}

/** Job ids: a key of the bucket and a token of a subject at once. */
const jobIdPattern = /^[A-Za-z0-9_=-]{1,200}$/;

/** Whether `id` can be a job id (see {@link checkJobId}). */
export function isJobId(id: string): boolean {
  return jobIdPattern.test(id);
}

/**
 * Throws `invalid_argument` unless `id` can be a job id: 1 to 200 of `A-Z a-z 0-9 _ = -` (it is a
 * key-value key and a subject token, so no dots, spaces or wildcards).
 */
export function checkJobId(id: string): void {
  if (!isJobId(id)) {
    throw new RpcError(`job id ${JSON.stringify(id)} is not valid: use 1 to 200 of A-Z a-z 0-9 _ = -`, Code.InvalidArgument);
  }
}
