import type { Registry } from "@bufbuild/protobuf";
import type { MethodMetrics } from "../metrics/method-metrics.js";
import type { EndpointDefinition } from "../service/service-definition.js";
import type { UnaryHandler } from "../service/service-handlers.js";
import type { EndpointStats } from "./endpoint-stats.js";
import type { RpcError } from "../protocol/rpc-error.js";

// Anything a handler may return; the output schema checks it when the reply is built.
export type AnyUnaryHandler = UnaryHandler<never, never>;

/**
 * What every request of a host shares, whichever endpoint and entry point it comes through: the
 * requests in progress (for the host's concurrency limit and for draining) and how errors are
 * shown to callers.
 */
export interface HostState {
  /** ADR-32 service name, for error messages. */
  readonly serviceName: string;
  /** Requests in progress over all endpoints. */
  inFlight: number;
  /** The most requests in progress at once; `Infinity` for no limit. */
  readonly maxInFlight: number;
  /** Whether callers see the messages of errors that are not `RpcError`s. */
  readonly exposeInternalErrors: boolean;
  /** Called each time `inFlight` drops to 0 (a stopping host waits for it). */
  onIdle: (() => void) | undefined;
  /** Told of every finished request, as the stats and metrics are (the `onRequestFinished` option). */
  readonly onRequestFinished: ((request: FinishedRequest) => void) | undefined;
}

/**
 * A request a host has finished with, whatever became of it: answered, failed before its handler
 * ran (a bad payload, a limit), failed in it, or past its deadline.
 */
export interface FinishedRequest {
  /** The ADR-32 endpoint name: the proto method name. */
  readonly method: string;
  /** `"ok"`, or the code of the error. */
  readonly code: string;
  /** From the request's arrival to its reply (or to the moment it was given up). */
  readonly durationMs: number;
  /** The error, with what was thrown as its `cause` when that was no `RpcError`; `undefined` for a success. */
  readonly error: RpcError | undefined;
}

/**
 * One endpoint of a running host, built once at start: everything a request of it needs, so that
 * serving one looks nothing up.
 */
export interface HostEndpoint {
  readonly definition: EndpointDefinition;
  /** The user's handler, bound to its object. */
  readonly handler: AnyUnaryHandler;
  /** Resolves `google.protobuf.Any` and extensions in JSON. */
  readonly registry: Registry;
  /** Counters for `$SRV.STATS`. */
  readonly stats: EndpointStats;
  /** Prometheus metrics of the method, when the host has metrics. */
  readonly metrics: MethodMetrics | undefined;
  /** The most requests of this endpoint in progress at once; `Infinity` for no limit. */
  readonly maxInFlight: number;
  /** Requests of this endpoint in progress. */
  inFlight: number;
  readonly host: HostState;
}
