import type { DescService } from "@bufbuild/protobuf";
import type { ClientTransport } from "../client/create-client.js";
import type { UnaryResponse } from "../interceptors/interceptor.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { serviceRegistry } from "../service/service-registry.js";
import { createJobClient, type JobClientOptions } from "./create-job-client.js";
import { resultOf, waitForEnd } from "./job-handle.js";
import { isJobId } from "./job-names.js";

/** The request header whose value, when it is a valid job id, becomes the job's id. */
export const idempotencyKeyHeader = "idempotency-key";

/**
 * A client transport (`ClientOptions.transport`) that makes each call a durable job and waits
 * for its result: the call survives the loss of the worker that runs it, at the price of the
 * queue's round trips. A call whose request carries an `Idempotency-Key` header that is a valid
 * job id is that job: calling again with the key returns the first call's result, runs nothing
 * twice. A call whose time runs out fails with `deadline_exceeded`; its job goes on.
 *
 * @example
 * const football = createClient(nc, Football, { transport: jobTransport(nc, Football) });
 * const odds = await football.predict({ gameId: "g1", homeExpected: 1.2, awayExpected: 0.8 }, { timeoutMs: 10_000 });
 */
export function jobTransport(nc: NatsConnection, service: DescService, options: JobClientOptions = {}): ClientTransport {
  const jobs = createJobClient(nc, service, options);
  const enqueue = jobs.enqueue as Record<string, (request: unknown, options: object) => Promise<{ id: string }>>;
  return (endpoint) => {
    const { method } = endpoint;
    const context = { nc, open: jobs.open, output: method.output, registry: options.registry ?? serviceRegistry(service) };
    return async (request): Promise<UnaryResponse> => {
      const key = request.header.get(idempotencyKeyHeader) ?? "";
      const job = await enqueue[method.localName]!(request.message, { headers: request.header, ...(isJobId(key) ? { id: key } : {}) });
      const timeoutMs = request.timeoutMs();
      const record = await waitForEnd(context, job.id, { ...(timeoutMs === undefined ? {} : { timeoutMs }), signal: request.signal });
      const message = resultOf(record, context);
      return { stream: false, service: method.parent, method, message, header: new Headers(record.resultHeaders?.map(([name, value]) => [name, value])) };
    };
  };
}
