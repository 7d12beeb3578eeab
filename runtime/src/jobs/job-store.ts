import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { ServiceDefinition } from "../service/service-definition.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  Kvm,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type KV,
} from "../transport/nats/jetstream-client.js";
import { publishToStream, StreamPublishRefused, wrongLastSequence, type StoredAck } from "../transport/nats/jetstream-publish.js";
import { ensureStream, nanos } from "../transport/nats/jetstream-streams.js";
import { createNatsHeaders, type MsgHdrs } from "../transport/nats/nats-client.js";
import { decodeJobRecord, encodeJobRecord, type JobRecord } from "./job-record.js";
import { checkJobId, isJobId, jobNames, type JobNames } from "./job-names.js";

/** How long the work-queue stream remembers enqueued ids, to drop a second enqueue of one (docs/jobs.md). */
export const defaultDuplicateWindowMs = 2 * 60_000;

/** How long dead letters are kept unless told otherwise. */
export const defaultDeadLetterRetentionMs = 14 * 24 * 60 * 60_000;

/** Where the jobs of a service live, and how to name, provision and read them. */
export interface JobStoreOptions {
  /** Subject prefix of the job subjects: `jobs` unless set. */
  subjectPrefix?: string;
  /** How long a second enqueue of an id within this time is dropped by the server; 2 minutes unless set. */
  duplicateWindowMs?: number;
  /** How long dead letters are kept; 14 days unless set. */
  deadLetterRetentionMs?: number;
}

/** A job record as read, with the revision that a compare-and-set update needs. */
export interface StoredJob {
  readonly record: JobRecord;
  readonly revision: number;
}

/** The JetStream side of a service's jobs: its streams, its bucket of records, and the clients of both. */
export interface JobStore {
  readonly names: JobNames;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly kv: KV;
  /** The record of a job, or `undefined` when there is none (or it expired). */
  read(id: string): Promise<StoredJob | undefined>;
  /** Stores a new record; `undefined` when the id has a record already. */
  create(record: JobRecord): Promise<StoredJob | undefined>;
  /** Replaces the record at `revision`; `undefined` when someone else changed it first. */
  update(record: JobRecord, revision: number): Promise<StoredJob | undefined>;
  /** Stores a job's message in its method's work queue; the server keeps one per `msgID` within its duplicate window. */
  publishWork(method: string, payload: Uint8Array, headers: MsgHdrs, msgID: string): Promise<StoredAck>;
  /**
   * The ids the bucket has an entry for now (a deleted record's among them: `read` says), each
   * once. From the server's list of the bucket's subjects, one snapshot: the bucket's key
   * listing, a consumer that walks the stream, misses records that workers change while it walks.
   */
  ids(): Promise<string[]>;
}

/**
 * Opens the streams and the bucket of a service's jobs, creating whichever is missing (so that
 * the first enqueuer or worker provisions them): the work-queue stream, the dead-letter stream
 * (one letter per job id) and the key-value bucket, whose records expire after the longest
 * retention of the service's methods.
 */
export async function openJobStore(nc: NatsConnection, definition: ServiceDefinition, options: JobStoreOptions = {}): Promise<JobStore> {
  try {
    return await provision(nc, definition, options);
  } catch (error) {
    if (error instanceof RpcError) {
      throw error;
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new RpcError(`jobs of service ${definition.name}: cannot open their streams and bucket: ${reason} (is JetStream enabled on the server, and may this user use it?)`, Code.Unavailable, {
      cause: error,
    });
  }
}

async function provision(nc: NatsConnection, definition: ServiceDefinition, options: JobStoreOptions): Promise<JobStore> {
  const names = jobNames(definition.name, options.subjectPrefix);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, {
    name: names.workStream,
    subjects: [names.workSubjects],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(options.duplicateWindowMs ?? defaultDuplicateWindowMs),
    // For the age of the oldest job (a direct get of the first message on a subject).
    allow_direct: true,
  });
  await ensureStream(jsm, {
    name: names.deadStream,
    subjects: [names.deadSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_msgs_per_subject: 1,
    max_age: nanos(options.deadLetterRetentionMs ?? defaultDeadLetterRetentionMs),
  });
  const retentionMs = Math.max(...definition.endpoints.map((endpoint) => endpoint.job.retentionMs));
  const kv = await new Kvm(js).create(names.bucket, { history: 1, ttl: retentionMs });
  // A record written as `kv.create` and `kv.update` write it, on the connection's reply
  // multiplexer rather than `nc.request` (see publishToStream): every job writes two or three.
  const writeRecord = async (record: JobRecord, expectedRevision: number) =>
    (
      await publishToStream(nc, `$KV.${names.bucket}.${record.id}`, encodeJobRecord(record), createNatsHeaders(), {
        streamName: `KV_${names.bucket}`,
        expectedLastSubjectSequence: expectedRevision,
      })
    ).seq;
  return {
    names,
    js,
    jsm,
    kv,
    async read(id) {
      checkJobId(id);
      const entry = await kv.get(id);
      if (entry === null || entry.operation !== "PUT") {
        return undefined;
      }
      const record = decodeJobRecord(entry.value);
      return record === undefined ? undefined : { record, revision: entry.revision };
    },
    async create(record) {
      checkJobId(record.id);
      let expectedRevision = 0;
      for (let attempt = 1; ; attempt += 1) {
        try {
          return { record, revision: await writeRecord(record, expectedRevision) };
        } catch (error) {
          const current = await kv.get(record.id);
          if (current?.operation === "PUT") {
            return undefined;
          }
          if (attempt === 2 || current === null || !(error instanceof StreamPublishRefused) || error.errCode !== wrongLastSequence) {
            throw error;
          }
          // The marker of a purged record: written over once, as kv.create does.
          expectedRevision = current.revision;
        }
      }
    },
    async update(record, revision) {
      checkJobId(record.id);
      try {
        return { record, revision: await writeRecord(record, revision) };
      } catch (error) {
        const current = await kv.get(record.id);
        if (current !== null && current.revision !== revision) {
          return undefined;
        }
        throw error;
      }
    },
    publishWork(method, payload, headers, msgID) {
      return publishToStream(nc, names.workSubject(method), payload, headers, { msgID, streamName: names.workStream });
    },
    async ids() {
      const stream = `KV_${names.bucket}`;
      const prefix = `$KV.${names.bucket}.`;
      const info = await jsm.streams.info(stream, { subjects_filter: ">" });
      return Object.keys(info.state.subjects ?? {})
        .filter((subject) => subject.startsWith(prefix))
        .map((subject) => subject.slice(prefix.length))
        .filter(isJobId);
    },
  };
}

/**
 * Creates or updates the durable consumer of each method's jobs: explicit acks, the lease as the
 * ack wait, redelivered without end (the worker counts attempts in the record, not the server,
 * so that a delayed job's wait is no attempt), and `max_running` as the most unacknowledged jobs.
 */
export async function ensureJobConsumers(store: JobStore, definition: ServiceDefinition, leaseMs: number): Promise<void> {
  for (const endpoint of definition.endpoints) {
    const name = store.names.consumer(endpoint.name);
    const config = {
      durable_name: name,
      filter_subject: store.names.workSubject(endpoint.name),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(leaseMs),
      max_deliver: -1,
      max_ack_pending: endpoint.job.maxRunning ?? unlimitedAckPending,
    };
    const existing = await store.jsm.consumers.info(store.names.workStream, name).catch(() => undefined);
    if (existing === undefined) {
      await store.jsm.consumers.add(store.names.workStream, config);
    } else if (existing.config.ack_wait !== config.ack_wait || existing.config.max_ack_pending !== config.max_ack_pending) {
      await store.jsm.consumers.update(store.names.workStream, name, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
    }
  }
}

// Waiting jobs (a back-off, a notBefore) count as unacknowledged too: without max_running, no limit
// the queue would reach (the server's default of 1,000 would stall a queue of delayed jobs).
const unlimitedAckPending = 1_000_000;
