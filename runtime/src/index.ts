// The public API of nats-micro-runtime. Generated code uses "./codegen" instead.
export { Code, isCode } from "./code.js";
export { RpcError } from "./rpc-error.js";
export { HeaderName } from "./protocol-headers.js";
export { codeFromHttpStatus, httpStatusFromCode } from "./error-headers.js";
export { type Encoding, jsonContentType } from "./codec.js";
export type { HandlerContext } from "./handler-context.js";
export type { ServiceHandlers, UnaryHandler } from "./service-handlers.js";
export { createHost, internalErrorMessage, type HostOptions, type ServiceHost } from "./create-host.js";
export type { ConcurrencyLimits } from "./concurrency-limit.js";
export {
  callWithRetry,
  defaultRetryPolicy,
  mayRetryMethod,
  resolveRetryPolicy,
  type ResolvedRetryPolicy,
  type RetryContext,
  type RetryPolicy,
} from "./retry-policy.js";
export {
  callUnary,
  createClient,
  defaultTimeoutMs,
  type CallOptions,
  type ClientOptions,
  type ServiceClient,
  type UnaryCall,
} from "./create-client.js";
export {
  checkServicesTogether,
  defaultQueueGroup,
  defaultSubject,
  defaultVersion,
  defineService,
  requestTypeMetadataKey,
  responseTypeMetadataKey,
  type EndpointDefinition,
  type ServiceDefinition,
  type ServiceDefinitionOptions,
  type ServicesProblem,
} from "./service-definition.js";
export type { InfoResponse, PingResponse, StatsResponse } from "./micro-discovery.js";
export { checkQueueGroup, checkServiceName, checkSubject, checkVersion } from "./naming-rules.js";
export {
  createRpcMetrics,
  defaultLatencyBuckets,
  okCode,
  type ClientRpcMetrics,
  type RpcMetrics,
  type RpcMetricsOptions,
  type ServerRpcMetrics,
} from "./rpc-metrics.js";
export { serveMetrics, type MetricsEndpoint, type MetricsSource, type ServeMetricsOptions } from "./serve-metrics.js";
export {
  defaultContextDirectory,
  defaultServer,
  resolveConnectionSettings,
  type ConnectionFlags,
  type ConnectionSettings,
} from "./connection-options.js";
export { connectNats } from "./connect-nats.js";
export { createServiceCli, runServiceCli, type HandlersSource, type ServiceCliOptions } from "./cli/service-cli.js";
export { ExitCode, exitCodeOf, exitCodeOfCode } from "./cli/exit-codes.js";
export { createLogger, logLevels, type LogLevel } from "./cli/create-logger.js";
export { runWorkerPool, type WorkerPoolOptions } from "./cli/worker-pool.js";
