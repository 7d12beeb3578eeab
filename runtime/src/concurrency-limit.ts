import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";
import type { ServiceDefinition } from "./service-definition.js";

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

/**
 * Counts the requests a host has in progress, per endpoint and in all, against its limits.
 * A request over a limit is refused at once rather than queued: a host that queues without
 * bound under a flood runs out of memory, one that refuses lets callers back off or go elsewhere.
 */
export interface ConcurrencyLimiter {
  /**
   * Takes a place for a request of the endpoint at `index` (its position in the definition), or
   * returns the `resource_exhausted` error to answer with when a limit is reached.
   */
  acquire(index: number): RpcError | undefined;
  /** Gives back the place of a finished request of the endpoint at `index`. */
  release(index: number): void;
}

/**
 * A limiter for a service's endpoints, or `undefined` when no limit is set (a host without limits
 * pays nothing). Throws an `Error` naming every limit that is not a whole number of at least 1
 * and every method name the service does not have.
 *
 * @example
 * const limiter = createConcurrencyLimiter(definition, { maxConcurrentRequests: 100, maxConcurrentRequestsByMethod: { Report: 2 } });
 */
export function createConcurrencyLimiter(definition: ServiceDefinition, limits: ConcurrencyLimits): ConcurrencyLimiter | undefined {
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
  const methodLimits = names.map((name) => maxConcurrentRequestsByMethod[name] ?? Number.POSITIVE_INFINITY);
  const hostLimit = maxConcurrentRequests ?? Number.POSITIVE_INFINITY;
  if (hostLimit === Number.POSITIVE_INFINITY && methodLimits.every((limit) => limit === Number.POSITIVE_INFINITY)) {
    return undefined;
  }
  const inProgress = names.map(() => 0);
  let total = 0;
  return {
    acquire(index) {
      const methodLimit = methodLimits[index]!;
      if (inProgress[index]! >= methodLimit) {
        return new RpcError(
          `${definition.name}.${names[index]} is serving its limit of ${methodLimit} concurrent requests; retry later`,
          Code.ResourceExhausted,
        );
      }
      if (total >= hostLimit) {
        return new RpcError(`${definition.name} is serving its limit of ${hostLimit} concurrent requests; retry later`, Code.ResourceExhausted);
      }
      inProgress[index]! += 1;
      total += 1;
      return undefined;
    },
    release(index) {
      inProgress[index]! -= 1;
      total -= 1;
    },
  };
}
