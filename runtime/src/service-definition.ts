import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { checkQueueGroup, checkServiceName, checkSubject, checkVersion } from "./naming-rules.js";

/** The queue group endpoints join unless told otherwise. */
export const defaultQueueGroup = "q";

/** The version a service announces unless told otherwise. */
export const defaultVersion = "0.0.0";

/** How a proto service is published as an ADR-32 service: what the host serves and the client calls. */
export interface ServiceDefinition {
  readonly service: DescService;
  /** ADR-32 service name. */
  readonly name: string;
  /** ADR-32 version (semver). */
  readonly version: string;
  readonly description: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly endpoints: readonly EndpointDefinition[];
}

/** One unary method as an ADR-32 endpoint. */
export interface EndpointDefinition {
  readonly method: DescMethod;
  /** ADR-32 endpoint name: the proto method name. */
  readonly name: string;
  readonly subject: string;
  /** The queue group, or `undefined` when every instance receives every request. */
  readonly queueGroup: string | undefined;
}

/** What can be changed of a service's defaults when it is defined. */
export interface ServiceDefinitionOptions {
  /** ADR-32 name; the proto service name by default. */
  name?: string;
  /** Semantic version; `0.0.0` by default. */
  version?: string;
  description?: string;
  metadata?: Record<string, string>;
  /** Queue group of every endpoint: `q` by default; `false` to deliver every request to every instance. */
  queueGroup?: string | false;
}

/**
 * Derives the ADR-32 service for a proto service: name, version, and one endpoint per unary
 * method on subject `<package>.<Service>.<Method>`. Streaming methods are left out: this version
 * of the protocol has no streaming. Throws an `Error` that names the service when a rule is broken.
 */
export function defineService(service: DescService, options: ServiceDefinitionOptions = {}): ServiceDefinition {
  const name = options.name ?? service.name;
  const version = options.version ?? defaultVersion;
  const queueGroup = options.queueGroup === false ? undefined : (options.queueGroup ?? defaultQueueGroup);
  const endpoints = service.methods
    .filter((method) => method.methodKind === "unary")
    .map((method) => ({ method, name: method.name, subject: defaultSubject(method), queueGroup }));
  const problems = [
    checkServiceName(name),
    checkVersion(version),
    queueGroup === undefined ? undefined : checkQueueGroup(queueGroup),
    ...endpoints.map((endpoint) => checkSubject(endpoint.subject)),
  ].filter((problem) => problem !== undefined);
  if (problems.length > 0) {
    throw new Error(`service ${service.typeName}: ${problems.join("; ")}`);
  }
  return {
    service,
    name,
    version,
    description: options.description ?? "",
    metadata: { ...options.metadata },
    endpoints,
  };
}

/** The default subject of a method: `<proto package>.<Service>.<Method>`. */
export function defaultSubject(method: DescMethod): string {
  return `${method.parent.typeName}.${method.name}`;
}
