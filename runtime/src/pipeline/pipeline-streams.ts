import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { jetstream, jetstreamManager, Kvm, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type KV } from "../transport/nats/jetstream-client.js";
import { ensureStream, nanos } from "../transport/nats/jetstream-streams.js";
import { defaultDeadLetterRetentionMs, defaultDuplicateWindowMs, PipelineNames } from "./pipeline-names.js";

/** How the streams of pipelines are made; the same on every process. */
export interface PipelineStreamOptions {
  /** How long a stop's stream drops a second message of one id; 2 minutes unless set. */
  duplicateWindowMs?: number;
  /** How long dead letters are kept; 14 days unless set. */
  deadLetterRetentionMs?: number;
}

/** The JetStream clients of a connection, and the stop streams it knows to exist. */
export interface PipelineStreams {
  /** The connection, for what goes around the JetStream clients (`publishToStream`). */
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Creates a stop's stream unless it exists (once per process and stop). */
  ensureStop(stop: string): Promise<void>;
  /** Creates the dead-letter stream unless it exists (once per process). */
  ensureDead(): Promise<void>;
  /** The bucket of attempt counts, created unless it exists (once per process). */
  attempts(): Promise<KV>;
}

/** How long an attempt count is kept: longer than any message's retries. */
const attemptsTtlMs = 24 * 60 * 60_000;

const opened = new WeakMap<NatsConnection, Promise<PipelineStreams>>();

/**
 * The pipeline streams of a connection, opened once per connection: every starter and stop of a
 * process shares the clients and what they know of the streams.
 */
export function openPipelineStreams(nc: NatsConnection, options: PipelineStreamOptions = {}): Promise<PipelineStreams> {
  let streams = opened.get(nc);
  if (streams === undefined) {
    streams = open(nc, options);
    opened.set(nc, streams);
    // A failed open (no JetStream yet) is tried again by the next caller.
    streams.catch(() => opened.delete(nc));
  }
  return streams;
}

async function open(nc: NatsConnection, options: PipelineStreamOptions): Promise<PipelineStreams> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc).catch((error: unknown) => {
    throw unavailable("cannot reach JetStream", error);
  });
  const ensured = new Map<string, Promise<void>>();
  const once = (key: string, make: () => Promise<void>) => {
    let done = ensured.get(key);
    if (done === undefined) {
      done = make().catch((error: unknown) => {
        ensured.delete(key);
        throw unavailable(`cannot create stream ${key}`, error);
      });
      ensured.set(key, done);
    }
    return done;
  };
  let attempts: Promise<KV> | undefined;
  return {
    nc,
    js,
    jsm,
    attempts() {
      attempts ??= new Kvm(js).create(PipelineNames.attemptsBucket, { history: 1, ttl: attemptsTtlMs }).catch((error: unknown) => {
        attempts = undefined;
        throw unavailable(`cannot open the bucket ${PipelineNames.attemptsBucket}`, error);
      });
      return attempts;
    },
    ensureStop: (stop) =>
      once(PipelineNames.stopStream(stop), () =>
        ensureStream(jsm, {
          name: PipelineNames.stopStream(stop),
          subjects: [PipelineNames.stopSubject(stop)],
          retention: RetentionPolicy.Workqueue,
          storage: StorageType.File,
          duplicate_window: nanos(options.duplicateWindowMs ?? defaultDuplicateWindowMs),
        }),
      ),
    ensureDead: () =>
      once(PipelineNames.deadStream, () =>
        ensureStream(jsm, {
          name: PipelineNames.deadStream,
          subjects: [PipelineNames.deadSubjects],
          retention: RetentionPolicy.Limits,
          storage: StorageType.File,
          max_msgs_per_subject: 1,
          max_age: nanos(options.deadLetterRetentionMs ?? defaultDeadLetterRetentionMs),
          duplicate_window: nanos(options.duplicateWindowMs ?? defaultDuplicateWindowMs),
        }),
      ),
  };
}

function unavailable(what: string, error: unknown): RpcError {
  const reason = error instanceof Error ? error.message : String(error);
  return new RpcError(`pipelines: ${what}: ${reason} (is JetStream enabled on the server, and may this user use it?)`, Code.Unavailable, { cause: error });
}
