import type { ServiceDefinition } from "../service/service-definition.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import type { HostEndpoint } from "./host-endpoint.js";

/**
 * Another way in to a host's handlers besides NATS requests, such as a durable job queue
 * (`serveJobs` of `nats-micro-runtime/jobs`): it hands its work to the host's one call path, so
 * that interceptors, deadlines, stats and metrics are those of every request.
 */
export interface HostEntryPoint {
  /** What it is, for errors: `"jobs"`. */
  readonly name: string;
  /** Starts taking work for the host; resolves once it does. */
  start(host: EntryPointHost): Promise<RunningEntryPoint>;
}

/** What an entry point is given of the host it serves. */
export interface EntryPointHost {
  readonly nc: NatsConnection;
  /** The host's instance id, as `$SRV` discovery reports it. */
  readonly id: string;
  readonly definition: ServiceDefinition;
  /** The host's endpoints, in the order of `definition.endpoints`: hand requests to `invokeUnary`. */
  readonly endpoints: readonly HostEndpoint[];
}

/** A started entry point. */
export interface RunningEntryPoint {
  /** Stops taking work and settles what it took; the host's `stop()` waits for it. */
  stop(): Promise<void>;
  /** What the entry point adds to an endpoint's `data` in `$SRV.STATS`, if anything. */
  statsData?(endpoint: string): Record<string, unknown> | undefined;
}
