import { create, type DescMessage, type DescService, type MessageInitShape, type Registry } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { encodeMessage, jsonContentType, type Encoding } from "../protocol/codec.js";
import { HeaderName } from "../protocol/header-name.js";
import type { HeadersInit } from "../protocol/headers-init.js";
import { RpcError } from "../protocol/rpc-error.js";
import { defineService, type EndpointDefinition, type ServiceDefinitionOptions } from "../service/service-definition.js";
import { maxJobAttempts } from "../service/job-policy.js";
import { serviceRegistry } from "../service/service-registry.js";
import { nuid, type NatsConnection } from "../transport/nats/nats-client.js";
import { toNatsHeaders } from "../transport/nats/message-headers.js";
import { createJobHandle, statusOf, type JobHandle, type JobHandleContext, type JobStatus, type OpenedJobs } from "./job-handle.js";
import { listenForJobEnds } from "./job-announcements.js";
import { checkJobId } from "./job-names.js";
import { JobState, type JobRecord } from "./job-record.js";
import { openJobStore, type JobStore, type JobStoreOptions } from "./job-store.js";
import { listDeadLetters, retryDeadLetter, type DeadLetter } from "./dead-letters.js";

/** Options of one enqueue. */
export interface EnqueueOptions {
  /**
   * The job's id: enqueueing an id that has a job already returns that job and runs nothing new
   * (while its record is kept). A new unique id unless set. 1 to 200 of `A-Z a-z 0-9 _ = -`.
   */
  id?: string;
  /** No attempt starts before this time. */
  notBefore?: Date;
  /** Attempts in all, over the method's policy. */
  attempts?: number;
  /** Headers the handler sees in `context.requestHeader` (such as `traceparent`). */
  headers?: HeadersInit;
  /** Encoding of the request and of the stored result; the client's unless set. */
  encoding?: Encoding;
}

/** Options of a job client. */
export interface JobClientOptions extends Pick<ServiceDefinitionOptions, "name">, JobStoreOptions {
  /** Encoding of every enqueued request: protobuf `binary` (the default) or `json`. */
  encoding?: Encoding;
  /** Resolves the message types that JSON payloads name; the service's files by default. */
  registry?: Registry;
}

/** Options of {@link JobClient.list}. */
export interface ListJobsOptions {
  /** Only jobs in this state. */
  state?: JobState;
  /** Only jobs of this method. */
  method?: string;
  /** The most jobs listed; 1,000 unless set. */
  limit?: number;
}

/** The unary methods of a service, keyed by their local names. */
type UnaryMethodsOf<Service extends DescService> = {
  [Name in keyof Service["method"] as Service["method"][Name] extends { methodKind: "unary" } ? Name : never]: Service["method"][Name];
};

/**
 * The jobs of a service (docs/jobs.md): enqueue a method's request as a durable job, follow a job
 * by its id, and look after the dead letters.
 */
export interface JobClient<Service extends DescService> {
  /** Enqueues a job of a method: resolves, once the server has stored it, with its handle. */
  readonly enqueue: {
    [Name in keyof UnaryMethodsOf<Service>]: UnaryMethodsOf<Service>[Name] extends { input: infer Input extends DescMessage; output: infer Output extends DescMessage }
      ? (request: MessageInitShape<Input>, options?: EnqueueOptions) => Promise<JobHandle<Output>>
      : never;
  };
  /** The handle of a job of a method by its id, to read its status or wait for its result. */
  readonly job: {
    [Name in keyof UnaryMethodsOf<Service>]: UnaryMethodsOf<Service>[Name] extends { output: infer Output extends DescMessage } ? (id: string) => JobHandle<Output> : never;
  };
  /** The status of any job of the service by its id; `undefined` when there is none. */
  status(id: string): Promise<JobStatus | undefined>;
  /** Jobs whose records are kept, oldest first. */
  list(options?: ListJobsOptions): Promise<JobStatus[]>;
  /** The dead letters kept, oldest first. */
  deadLetters(options?: { limit?: number }): Promise<DeadLetter[]>;
  /** Enqueues a dead-lettered job again, with all its attempts; resolves with its handle. */
  retry(id: string): Promise<JobHandle<DescMessage>>;
  /** Removes every queued job, every dead letter and every record: `{ queued, dead, records }` removed. */
  purge(): Promise<{ queued: number; dead: number; records: number }>;
  /** The streams and bucket, opened (and created when missing) on first use. */
  store(): Promise<JobStore>;
  /** The streams and bucket, and the client's subscription to the ends of jobs, opened on first use. */
  open(): Promise<OpenedJobs>;
}

/**
 * Creates the job client of a service. The streams and bucket are created on first use when
 * missing; the client loads JetStream only from this subpath, so a plain RPC client stays light.
 *
 * @example
 * const jobs = createJobClient(nc, Calc);
 * const job = await jobs.enqueue.average({ values: [1, 2, 3] }, { id: "report-2026-11" });
 * console.log(await job.status());
 * const reply = await job.result({ timeoutMs: 60_000 });
 */
export function createJobClient<Service extends DescService>(nc: NatsConnection, service: Service, options: JobClientOptions = {}): JobClient<Service> {
  const definition = defineService(service, options);
  const registry = options.registry ?? serviceRegistry(service);
  const encoding = options.encoding ?? "binary";
  let opening: Promise<OpenedJobs> | undefined;
  const open = () => {
    opening ??= (async () => {
      const store = await openJobStore(nc, definition, options);
      return { store, announcements: await listenForJobEnds(nc, store.names) };
    })().catch((error: unknown) => {
      opening = undefined; // tried again on the next use
      throw error;
    });
    return opening;
  };
  const store = async () => (await open()).store;
  const endpointOf = (method: string) => {
    const endpoint = definition.endpoints.find((candidate) => candidate.name === method);
    if (endpoint === undefined) {
      throw new RpcError(`service ${definition.name} has no method ${method}`, Code.NotFound);
    }
    return endpoint;
  };
  const handleContext = (endpoint: EndpointDefinition): JobHandleContext => ({ nc, open, output: endpoint.method.output, registry });
  const enqueue: Record<string, unknown> = {};
  const job: Record<string, unknown> = {};
  for (const endpoint of definition.endpoints) {
    enqueue[endpoint.method.localName] = (request: MessageInitShape<DescMessage>, enqueueOptions: EnqueueOptions = {}) =>
      enqueueJob(open, endpoint, request, { ...enqueueOptions, encoding: enqueueOptions.encoding ?? encoding }, registry, handleContext(endpoint));
    job[endpoint.method.localName] = (id: string) => createJobHandle(handleContext(endpoint), endpoint.name, id);
  }
  return {
    enqueue: enqueue as JobClient<Service>["enqueue"],
    job: job as JobClient<Service>["job"],
    async status(id) {
      const stored = await (await store()).read(id);
      return stored === undefined ? undefined : statusOf(stored.record);
    },
    async list(listOptions = {}) {
      const opened = await store();
      const limit = listOptions.limit ?? 1_000;
      const found: JobStatus[] = [];
      for (const id of await opened.ids()) {
        const stored = await opened.read(id);
        if (stored !== undefined && (listOptions.state === undefined || stored.record.state === listOptions.state) && (listOptions.method === undefined || stored.record.method === listOptions.method)) {
          found.push(statusOf(stored.record));
        }
      }
      return found.sort((a, b) => a.enqueuedAt.getTime() - b.enqueuedAt.getTime()).slice(0, limit);
    },
    async deadLetters(listOptions = {}) {
      return listDeadLetters(await store(), listOptions.limit ?? 1_000);
    },
    async retry(id) {
      const opened = await store();
      const method = await retryDeadLetter(opened, id, (name) => endpointOf(name).job.attempts);
      return createJobHandle(handleContext(endpointOf(method)), method, id);
    },
    async purge() {
      const opened = await store();
      const queued = (await opened.jsm.streams.purge(opened.names.workStream)).purged;
      const dead = (await opened.jsm.streams.purge(opened.names.deadStream)).purged;
      let records = 0;
      for (const id of await opened.ids()) {
        if ((await opened.read(id)) !== undefined) {
          records += 1;
        }
        await opened.kv.purge(id);
      }
      return { queued, dead, records };
    },
    store,
    open,
  };
}

/**
 * Enqueues one job: stores its record (unless the id has one: then it is that job), listens for
 * its end, then publishes its request to the method's work queue with the record's revision (so
 * that the worker's first write needs no read) and `<id>.<run>` as the message id (the server
 * drops a second message of the run within its duplicate window, and still takes the message of
 * a new run of the id, after a purge). Resolves with the job's handle.
 *
 * A job whose record exists but which never started is published again: its first enqueue may
 * have stopped between the record and the message. A worker runs a job's run from one message
 * only (the record keeps the sequence of the message it runs), so a second copy never runs it twice.
 */
async function enqueueJob(
  open: () => Promise<OpenedJobs>,
  endpoint: EndpointDefinition,
  request: MessageInitShape<DescMessage>,
  options: EnqueueOptions & { encoding: Encoding },
  registry: Registry,
  handleContext: JobHandleContext,
): Promise<JobHandle<DescMessage>> {
  const id = options.id ?? nuid.next();
  checkJobId(id);
  const attempts = options.attempts ?? endpoint.job.attempts;
  if (!Number.isSafeInteger(attempts) || attempts < 1 || attempts > maxJobAttempts) {
    throw new RpcError(`attempts must be 1 to ${maxJobAttempts}, got ${attempts}`, Code.InvalidArgument);
  }
  const { encoding } = options;
  const message = (request as { $typeName?: string }).$typeName === undefined ? create(endpoint.method.input, request) : request;
  const payload = encodeMessage(endpoint.method.input, message as never, encoding, registry);
  const notBefore = options.notBefore?.toISOString();
  const { store, announcements } = await open();
  const handle = createJobHandle(handleContext, endpoint.name, id);
  const record: JobRecord = {
    id,
    method: endpoint.name,
    state: JobState.Queued,
    run: nuid.next(),
    attempt: 0,
    attempts,
    encoding,
    enqueuedAt: new Date().toISOString(),
    ...(notBefore === undefined ? {} : { notBefore }),
  };
  let stored = await store.create(record);
  if (stored === undefined) {
    const existing = await store.read(id);
    if (existing !== undefined && existing.record.method !== endpoint.name) {
      throw new RpcError(`job id ${id} is taken by a job of method ${existing.record.method}`, Code.AlreadyExists);
    }
    if (existing === undefined || existing.record.state !== JobState.Queued || existing.record.attempt > 0 || existing.record.startedAt !== undefined) {
      return handle; // the id's job, which has started or is over
    }
    stored = existing;
  }
  const headers = new Headers(options.headers);
  headers.set(HeaderName.JobId, id);
  headers.set(HeaderName.JobRun, stored.record.run);
  headers.set(HeaderName.JobRevision, String(stored.revision));
  headers.set(HeaderName.JobMaxAttempts, String(stored.record.attempts));
  if (stored.record.encoding === "json") {
    headers.set(HeaderName.ContentType, jsonContentType);
  }
  if (stored.record.notBefore !== undefined) {
    headers.set(HeaderName.JobNotBefore, stored.record.notBefore);
  }
  announcements.listen(id, true);
  try {
    await store.publishWork(endpoint.name, payload, toNatsHeaders(headers), `${id}.${stored.record.run}`);
  } catch (error) {
    announcements.forget(id);
    throw error;
  }
  return handle;
}
