import { getOption, type DescMethod, type DescService } from "@bufbuild/protobuf";
import type { Duration } from "@bufbuild/protobuf/wkt";
import { maxTimeoutMs } from "../protocol/timeout-header.js";
import { method as methodOption, service as serviceOption } from "../gen/nats/micro/v1/options_pb.js";
import { checkQueueGroup, checkServiceName, checkSubject, checkVersion } from "../protocol/naming-rules.js";
import { defaultJobPolicy, jobPolicyOf, type JobPolicy } from "./job-policy.js";
import { pipelinesThrough } from "./pipeline-declarations.js";
import { stopPolicyOf, type StopPolicy } from "./stop-policy.js";

/** The queue group endpoints join unless told otherwise. */
export const defaultQueueGroup = "q";

/** The version a service announces unless told otherwise. */
export const defaultVersion = "0.0.0";

/** Endpoint metadata key naming the proto request type, so that tools can find the schema. */
export const requestTypeMetadataKey = "proto.request_type";

/** Endpoint metadata key naming the proto response type. */
export const responseTypeMetadataKey = "proto.response_type";

/** Endpoint metadata key of a streaming endpoint's kind: `server_streaming`, `client_streaming` or `bidi_streaming` (docs/protocol.md, "Streaming"). */
export const kindMetadataKey = "nats.micro.kind";

/** Endpoint metadata key marking a pipeline stop (value `"true"`), so that tools find stops by discovery. */
export const stopMetadataKey = "nats.micro.stop";

/** Endpoint metadata key of a stop's name in routes. */
export const stopNameMetadataKey = "nats.micro.stop.name";

/** Endpoint metadata key of the pipelines whose declared route goes through a stop, comma-separated. */
export const stopPipelinesMetadataKey = "nats.micro.stop.pipelines";

/** How a proto service is published as an ADR-32 service: what the host serves and the client calls. */
export interface ServiceDefinition {
  readonly service: DescService;
  /** ADR-32 service name. */
  readonly name: string;
  /** ADR-32 version (semver). */
  readonly version: string;
  readonly description: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** One endpoint per unary method, in the order of the proto file. */
  readonly endpoints: readonly EndpointDefinition[];
  /** One endpoint per streaming method, in the order of the proto file (docs/protocol.md, "Streaming"). */
  readonly streams: readonly StreamEndpointDefinition[];
}

/** The kinds of streaming method. */
export type StreamKind = "server_streaming" | "client_streaming" | "bidi_streaming";

const streamKindLabels: Readonly<Record<StreamKind, string>> = {
  server_streaming: "server streaming",
  client_streaming: "client streaming",
  bidi_streaming: "bidirectional streaming",
};

/** A streaming method's kind in words, for messages and documentation: "server streaming", ... */
export function streamKindLabel(kind: StreamKind): string {
  return streamKindLabels[kind];
}

/** One streaming method as an ADR-32 endpoint: its subject and queue group are a unary method's. */
export interface StreamEndpointDefinition {
  readonly method: DescMethod;
  readonly kind: StreamKind;
  /** ADR-32 endpoint name: the proto method name. */
  readonly name: string;
  readonly subject: string;
  /** The queue group, or `undefined` when every instance receives every setup. */
  readonly queueGroup: string | undefined;
  /** The deadline of a stream whose caller sets none, in milliseconds; `undefined` for none. */
  readonly timeoutMs: number | undefined;
  /** Endpoint metadata: the method's option metadata, the proto type names and the kind. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** One unary method as an ADR-32 endpoint. */
export interface EndpointDefinition {
  readonly method: DescMethod;
  /** ADR-32 endpoint name: the proto method name. */
  readonly name: string;
  readonly subject: string;
  /** The queue group, or `undefined` when every instance receives every request. */
  readonly queueGroup: string | undefined;
  /** Timeout of a call whose caller sets none, in milliseconds; `undefined` for none. */
  readonly timeoutMs: number | undefined;
  /** Endpoint metadata: the method's option metadata and the proto type names. */
  readonly metadata: Readonly<Record<string, string>>;
  /** How the method runs as a durable job: its `job` proto options over the service's, over the defaults. */
  readonly job: JobPolicy;
  /** How the method runs as a pipeline stop (docs/pipelines.md); `undefined` when it is no stop. */
  readonly stop: StopPolicy | undefined;
}

/** What code can set of a service, over what its proto options say. */
export interface ServiceDefinitionOptions {
  /** ADR-32 name; the proto option, else the proto service name. */
  name?: string;
  /** Semantic version; the proto option, else `0.0.0`. */
  version?: string;
  description?: string;
  /** Added to the proto option's metadata. */
  metadata?: Record<string, string>;
  /** Queue group of every endpoint, whatever the proto options say; `false` for none. */
  queueGroup?: string | false;
  /**
   * Used where neither these options nor the proto options set a value. Generated code passes the
   * service's proto comment as the description, and the plugin's `default_version`.
   */
  defaults?: { description?: string; version?: string };
}

/**
 * Derives the ADR-32 service for a proto service from its descriptor, its `nats.micro.v1` options
 * and `options`: name, version, and one endpoint per method, on subject
 * `<package>.<Service>.<Method>` unless the options say otherwise: unary methods in `endpoints`,
 * streaming ones in `streams`.
 *
 * Throws an `Error` with one line per broken rule, each naming the service or method at fault.
 * The plugin calls it too, so that a mistake fails `buf generate`, not the first start.
 */
export function defineService(service: DescService, options: ServiceDefinitionOptions = {}): ServiceDefinition {
  const problems: string[] = [];
  const serviceProblem = (problem: string | undefined) => problem !== undefined && problems.push(`service ${service.typeName}: ${problem}`);
  const methodProblem = (method: DescMethod, problem: string | undefined) =>
    problem !== undefined && problems.push(`method ${service.typeName}.${method.name}: ${problem}`);

  const proto = getOption(service, serviceOption);
  const name = options.name ?? (proto.name || service.name);
  const version = options.version ?? (proto.version || options.defaults?.version || defaultVersion);
  serviceProblem(checkServiceName(name));
  serviceProblem(checkVersion(version));
  const prefix = proto.subjectPrefix || service.typeName;
  const prefixProblem = checkSubject(prefix);
  serviceProblem(prefixProblem && `subject_prefix: ${prefixProblem}`);
  const serviceQueueGroup = queueGroupOf(proto.queueGroup, proto.noQueueGroup, serviceProblem);
  const serviceTimeoutMs = timeoutOf(proto.timeout, serviceProblem);
  const serviceJobPolicy = jobPolicyOf(proto.job, defaultJobPolicy, (problem) => serviceProblem(problem));

  // What every endpoint has, unary or streaming: its options, subject, queue group, timeout and
  // the metadata naming its types, with each broken option reported on the method.
  const served = (method: DescMethod) => {
    const methodProto = getOption(method, methodOption);
    const report = (problem: string | undefined) => methodProblem(method, problem);
    const subject = subjectOf(prefix, method, methodProto.subject);
    report(checkSubject(subject));
    // Read before the code's queue group is applied, so that a broken option is reported either way, as the service's is.
    const methodQueueGroup = queueGroupOf(methodProto.queueGroup, methodProto.noQueueGroup, report);
    const queueGroup = options.queueGroup ?? methodQueueGroup ?? serviceQueueGroup ?? defaultQueueGroup;
    return {
      methodProto,
      report,
      method,
      name: method.name,
      subject,
      queueGroup: queueGroup === false ? undefined : queueGroup,
      timeoutMs: timeoutOf(methodProto.timeout, report) ?? serviceTimeoutMs,
      metadata: { ...methodProto.metadata, [requestTypeMetadataKey]: method.input.typeName, [responseTypeMetadataKey]: method.output.typeName },
    };
  };
  const streams: StreamEndpointDefinition[] = [];
  for (const method of service.methods) {
    if (method.methodKind === "unary") {
      continue;
    }
    const { methodProto, report, ...endpoint } = served(method);
    if (methodProto.stop !== undefined) {
      report(`stop: a pipeline stop must be a unary method, not ${method.methodKind}`);
    }
    if (methodProto.job !== undefined) {
      report(`job: only a unary method can run as a job, not ${method.methodKind}`);
    }
    streams.push({ ...endpoint, kind: method.methodKind, metadata: { ...endpoint.metadata, [kindMetadataKey]: method.methodKind } });
  }
  const endpoints = service.methods
    .filter((method) => method.methodKind === "unary")
    .map((method): EndpointDefinition => {
      const { methodProto, report, ...endpoint } = served(method);
      const { timeoutMs } = endpoint;
      // An attempt lasts what the service's job policy says, else what a call of the method may.
      const jobFallback = proto.job?.attemptTimeout === undefined && timeoutMs !== undefined ? { ...serviceJobPolicy, attemptTimeoutMs: timeoutMs } : serviceJobPolicy;
      const stop = stopPolicyOf(method, methodProto.stop, timeoutMs, report);
      return {
        ...endpoint,
        metadata: {
          ...endpoint.metadata,
          ...(stop === undefined
            ? {}
            : { [stopMetadataKey]: "true", [stopNameMetadataKey]: stop.name, [stopPipelinesMetadataKey]: pipelinesThrough(stop.name, service.file).join(",") }),
        },
        job: jobPolicyOf(methodProto.job, jobFallback, report),
        stop,
      };
    });
  if (options.queueGroup !== undefined && options.queueGroup !== false) {
    serviceProblem(checkQueueGroup(options.queueGroup));
  }
  const methodOfSubject = new Map<string, DescMethod>();
  for (const endpoint of [...endpoints, ...streams]) {
    const other = methodOfSubject.get(endpoint.subject);
    if (other !== undefined) {
      methodProblem(endpoint.method, `subject "${endpoint.subject}" is the subject of method ${other.name} too`);
    }
    methodOfSubject.set(endpoint.subject, endpoint.method);
  }
  if (problems.length > 0) {
    throw new Error(problems.join("\n"));
  }
  return {
    service,
    name,
    version,
    description: options.description ?? (proto.description || options.defaults?.description || ""),
    metadata: { ...proto.metadata, ...options.metadata },
    endpoints,
    streams,
  };
}

/** A problem found by {@link checkServicesTogether}, with the service it is reported on. */
export interface ServicesProblem {
  readonly service: DescService;
  readonly message: string;
}

/**
 * Problems between services defined together, which each service alone cannot show: two services
 * that publish the same ADR-32 name (discovery would mix their instances) or serve the same subject
 * (requests would go to either).
 */
export function checkServicesTogether(definitions: readonly ServiceDefinition[]): ServicesProblem[] {
  const problems: ServicesProblem[] = [];
  const serviceOfName = new Map<string, DescService>();
  const ownerOfSubject = new Map<string, string>();
  for (const definition of definitions) {
    const { service } = definition;
    const sameName = serviceOfName.get(definition.name);
    if (sameName !== undefined) {
      problems.push({ service, message: `service ${service.typeName}: name "${definition.name}" is the name of service ${sameName.typeName} too` });
    }
    serviceOfName.set(definition.name, service);
    for (const endpoint of [...definition.endpoints, ...definition.streams]) {
      const owner = ownerOfSubject.get(endpoint.subject);
      const self = `${service.typeName}.${endpoint.name}`;
      if (owner !== undefined) {
        problems.push({ service, message: `method ${self}: subject "${endpoint.subject}" is the subject of method ${owner} too` });
      }
      ownerOfSubject.set(endpoint.subject, self);
    }
  }
  return problems;
}

/** The default subject of a method, when no option changes it: `<proto package>.<Service>.<Method>`. */
export function defaultSubject(method: DescMethod): string {
  return `${method.parent.typeName}.${method.name}`;
}

// A method's subject: `<prefix>.<Method>`, or its `subject` option (a token under the prefix, or a whole subject with a dot).
function subjectOf(prefix: string, method: DescMethod, option: string): string {
  return option === "" ? `${prefix}.${method.name}` : option.includes(".") ? option : `${prefix}.${option}`;
}

// The queue group an option pair asks for: a name, none (`no_queue_group`), or `undefined` to inherit.
function queueGroupOf(queueGroup: string, noQueueGroup: boolean, report: (problem: string | undefined) => void): string | false | undefined {
  if (noQueueGroup) {
    report(queueGroup === "" ? undefined : `queue_group "${queueGroup}" and no_queue_group contradict each other`);
    return false;
  }
  if (queueGroup === "") {
    return undefined;
  }
  report(checkQueueGroup(queueGroup));
  return queueGroup;
}

// A timeout option in whole milliseconds (rounded up), or `undefined` when it is not set.
function timeoutOf(timeout: Duration | undefined, report: (problem: string | undefined) => void): number | undefined {
  if (timeout === undefined) {
    return undefined;
  }
  const milliseconds = Math.ceil(Number(timeout.seconds) * 1000 + timeout.nanos / 1_000_000);
  if (milliseconds <= 0 || timeout.nanos < 0) {
    report(`timeout must be positive, got ${timeout.seconds}s ${timeout.nanos}ns`);
    return undefined;
  }
  if (milliseconds > maxTimeoutMs) {
    report(`timeout must be at most ${maxTimeoutMs} ms, got ${milliseconds} ms`);
    return undefined;
  }
  return milliseconds;
}
