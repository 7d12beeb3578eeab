import type { DescMethod } from "@bufbuild/protobuf";
import { createEndpointStats } from "../../runtime/src/host/endpoint-stats.js";
import type { AnyUnaryHandler, FinishedRequest, HostEndpoint, HostState } from "../../runtime/src/host/host-endpoint.js";
import type { MethodMetrics } from "../../runtime/src/metrics/method-metrics.js";
import { defineService } from "../../runtime/src/service/service-definition.js";
import { serviceRegistry } from "../../runtime/src/service/service-registry.js";

/** The state a host's endpoints share; no limit and internal errors hidden unless set. */
export function handBuiltHost(
  init: { maxInFlight?: number; exposeInternalErrors?: boolean; serviceName?: string; onRequestFinished?: (request: FinishedRequest) => void } = {},
): HostState {
  return {
    serviceName: init.serviceName ?? "Test",
    inFlight: 0,
    maxInFlight: init.maxInFlight ?? Number.POSITIVE_INFINITY,
    exposeInternalErrors: init.exposeInternalErrors ?? false,
    onIdle: undefined,
    onRequestFinished: init.onRequestFinished,
  };
}

/** What {@link handBuiltEndpoint} takes besides the method and its handler. */
export interface HandBuiltEndpointInit {
  /** The host state to share with other endpoints; a fresh one unless set. */
  host?: HostState;
  /** The endpoint's concurrency limit; none unless set. */
  maxInFlight?: number;
  /** The method's default timeout (as its proto option would set it); the proto's unless set. */
  timeoutMs?: number;
  metrics?: MethodMetrics;
}

/**
 * One endpoint of a host, built by hand as `createHost` builds it, without a connection: the
 * method's definition from its descriptor, the service's registry, fresh stats.
 */
export function handBuiltEndpoint(method: DescMethod, handler: (request: never, context: never) => unknown, init: HandBuiltEndpointInit = {}): HostEndpoint {
  const definition = defineService(method.parent).endpoints.find((endpoint) => endpoint.method === method);
  if (definition === undefined) {
    throw new Error(`method ${method.parent.typeName}.${method.name} is not a unary endpoint`);
  }
  return {
    definition: init.timeoutMs === undefined ? definition : { ...definition, timeoutMs: init.timeoutMs },
    handler: handler as AnyUnaryHandler,
    registry: serviceRegistry(method.parent),
    stats: createEndpointStats(),
    metrics: init.metrics,
    maxInFlight: init.maxInFlight ?? Number.POSITIVE_INFINITY,
    inFlight: 0,
    host: init.host ?? handBuiltHost(),
  };
}

/** Metrics that only remember what they were told: the code of every finished request. */
export interface RecordedMetrics extends MethodMetrics {
  readonly started: () => void;
  readonly startedCount: number;
  readonly finishedCodes: readonly string[];
}

/** A {@link MethodMetrics} that records calls instead of exporting them. */
export function recordedMetrics(): RecordedMetrics {
  let startedCount = 0;
  const finishedCodes: string[] = [];
  return {
    started: () => {
      startedCount += 1;
    },
    finished: (_startedAt, code) => {
      finishedCodes.push(code);
    },
    get startedCount() {
      return startedCount;
    },
    finishedCodes,
  };
}
