import { averageProcessingTimeNs, type EndpointStats } from "./endpoint-stats.js";
import type { ServiceDefinition } from "../service/service-definition.js";

/** A `$SRV.PING` reply (micro v1). */
export interface PingResponse {
  type: "io.nats.micro.v1.ping_response";
  name: string;
  id: string;
  version: string;
  metadata: Record<string, string>;
}

/** A `$SRV.INFO` reply (micro v1). */
export interface InfoResponse extends Omit<PingResponse, "type"> {
  type: "io.nats.micro.v1.info_response";
  description: string;
  endpoints: { name: string; subject: string; queue_group?: string; metadata: Record<string, string> }[];
}

/** A `$SRV.STATS` reply (micro v1). Times are whole nanoseconds. */
export interface StatsResponse extends Omit<PingResponse, "type"> {
  type: "io.nats.micro.v1.stats_response";
  started: string;
  endpoints: {
    name: string;
    subject: string;
    queue_group?: string;
    num_requests: number;
    num_errors: number;
    last_error: string;
    processing_time: number;
    average_processing_time: number;
    /** What else the instance reports of the endpoint, such as its jobs. */
    data?: Record<string, unknown>;
  }[];
}

/** What discovery needs to know of a running instance. */
export interface InstanceState {
  readonly definition: ServiceDefinition;
  readonly id: string;
  readonly started: Date;
  /** Stats of each endpoint, in the order of `definition.endpoints`, then of `definition.streams`. */
  readonly stats: readonly EndpointStats[];
  /** The `data` of an endpoint's stats, when there is any. */
  endpointData?(endpoint: string): Record<string, unknown> | undefined;
}

const queueGroupField = (queueGroup: string | undefined) => (queueGroup === undefined ? {} : { queue_group: queueGroup });

/** The `$SRV.PING` reply of an instance. */
export function pingResponse({ definition, id }: InstanceState): PingResponse {
  return { type: "io.nats.micro.v1.ping_response", name: definition.name, id, version: definition.version, metadata: { ...definition.metadata } };
}

/** The `$SRV.INFO` reply of an instance. */
export function infoResponse(state: InstanceState): InfoResponse {
  const { definition } = state;
  return {
    ...pingResponse(state),
    type: "io.nats.micro.v1.info_response",
    description: definition.description,
    endpoints: [...definition.endpoints, ...definition.streams].map((endpoint) => ({
      name: endpoint.name,
      subject: endpoint.subject,
      ...queueGroupField(endpoint.queueGroup),
      metadata: { ...endpoint.metadata },
    })),
  };
}

/** The `$SRV.STATS` reply of an instance. */
export function statsResponse(state: InstanceState): StatsResponse {
  return {
    ...pingResponse(state),
    type: "io.nats.micro.v1.stats_response",
    started: state.started.toISOString(),
    endpoints: [...state.definition.endpoints, ...state.definition.streams].map((endpoint, index) => {
      const stats = state.stats[index]!;
      const data = state.endpointData?.(endpoint.name);
      return {
        name: endpoint.name,
        subject: endpoint.subject,
        ...queueGroupField(endpoint.queueGroup),
        num_requests: stats.numRequests,
        num_errors: stats.numErrors,
        last_error: stats.lastError,
        processing_time: stats.processingTimeNs,
        average_processing_time: averageProcessingTimeNs(stats),
        ...(data === undefined ? {} : { data }),
      };
    }),
  };
}

/** The ADR-32 discovery verbs. */
export type DiscoveryVerb = "PING" | "INFO" | "STATS";

/** The reply of an instance to a discovery verb. */
export function discoveryResponse(state: InstanceState, verb: DiscoveryVerb): PingResponse | InfoResponse | StatsResponse {
  switch (verb) {
    case "PING":
      return pingResponse(state);
    case "INFO":
      return infoResponse(state);
    case "STATS":
      return statsResponse(state);
  }
}
