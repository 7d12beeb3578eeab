import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { ServiceDefinition } from "../service/service-definition.js";

/** How many requests a host serves at once; see `HostOptions`. */
export interface ConcurrencyLimits {
  /** The most requests in progress at once over all methods of the host; unlimited when absent. */
  maxConcurrentRequests?: number;
  /**
   * The most requests in progress at once for single methods, keyed by proto method name as
   * written in the `.proto` file and shown by `$SRV.INFO` (`"Average"`, not `"average"`). A method
   * is held to its own limit and to `maxConcurrentRequests` both.
   */
  maxConcurrentRequestsByMethod?: Readonly<Record<string, number>>;
}

/** The limits of a host, checked: one for the host and one per endpoint, `Infinity` for none. */
export interface ResolvedLimits {
  readonly host: number;
  /** By endpoint name. */
  limitOf(endpointName: string): number;
}

/**
 * Checks a host's concurrency limits against its service. Throws an `Error` naming every limit
 * that is not a whole number of at least 1 and every method name the service does not have.
 *
 * A request over a limit is refused at once rather than queued: a host that queues without
 * bound under a flood runs out of memory, one that refuses lets callers back off or go elsewhere.
 */
export function resolveConcurrencyLimits(definition: ServiceDefinition, limits: ConcurrencyLimits): ResolvedLimits {
  const { maxConcurrentRequests, maxConcurrentRequestsByMethod = {} } = limits;
  const problems: string[] = [];
  const check = (what: string, limit: number) => {
    if (!Number.isInteger(limit) || limit < 1) {
      problems.push(`${what} must be a whole number of at least 1, got ${limit}`);
    }
  };
  if (maxConcurrentRequests !== undefined) {
    check("maxConcurrentRequests", maxConcurrentRequests);
  }
  const names = definition.endpoints.map((endpoint) => endpoint.name);
  for (const [name, limit] of Object.entries(maxConcurrentRequestsByMethod)) {
    if (!names.includes(name)) {
      problems.push(`maxConcurrentRequestsByMethod: service ${definition.service.typeName} has no method "${name}" (its methods: ${names.join(", ")})`);
    } else {
      check(`maxConcurrentRequestsByMethod.${name}`, limit);
    }
  }
  if (problems.length > 0) {
    throw new Error(`service ${definition.service.typeName}: ${problems.join("; ")}`);
  }
  return {
    host: maxConcurrentRequests ?? Number.POSITIVE_INFINITY,
    limitOf: (name) => maxConcurrentRequestsByMethod[name] ?? Number.POSITIVE_INFINITY,
  };
}

/** The `resource_exhausted` error for a request over a limit of `serviceName` (or of one of its methods). */
export function overLimitError(serviceName: string, methodName: string | undefined, limit: number): RpcError {
  const what = methodName === undefined ? serviceName : `${serviceName}.${methodName}`;
  return new RpcError(`${what} is serving its limit of ${limit} concurrent requests; retry later`, Code.ResourceExhausted);
}
