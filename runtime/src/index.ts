// The public API of nats-micro-runtime: hosts, clients, errors, service definitions. It loads
// neither the CLI nor prom-client: those are "nats-micro-runtime/cli" and "nats-micro-runtime/metrics".
// Generated code imports "nats-micro-runtime/codegenv1" instead.
export { Code, isCode } from "./protocol/code.js";
export { codeFromHttpStatus, exitCodeFromCode, grpcNumberFromCode, httpStatusFromCode } from "./protocol/code-tables.js";
export { RpcError } from "./protocol/rpc-error.js";
export type { ErrorDetail } from "./protocol/rpc-error.js";
export { HeaderName } from "./protocol/header-name.js";
export type { HeadersInit } from "./protocol/headers-init.js";
export { type Encoding, jsonContentType } from "./protocol/codec.js";
export type { CallOrigin, IncomingRequest, SendResult, UnaryReply } from "./protocol/unary-exchange.js";
export { checkQueueGroup, checkServiceName, checkSubject, checkVersion } from "./protocol/naming-rules.js";
export { createHandlerContext, type HandlerContext, type HandlerContextInit } from "./service/handler-context.js";
export type {
  BidiStreamingHandler,
  ClientStreamingHandler,
  MethodHandler,
  ServerStreamingHandler,
  ServiceHandlers,
  StopHandler,
  UnaryHandler,
} from "./service/service-handlers.js";
export type { JobContext } from "./service/job-context.js";
export type { RouteContext, RouteHop } from "./service/route-context.js";
export type { EntryPointHost, HostEntryPoint, RunningEntryPoint } from "./host/host-entry-point.js";
export { serviceRegistry } from "./service/service-registry.js";
export {
  checkServicesTogether,
  defaultQueueGroup,
  defaultSubject,
  defaultVersion,
  defineService,
  kindMetadataKey,
  requestTypeMetadataKey,
  streamKindLabel,
  responseTypeMetadataKey,
  stopMetadataKey,
  stopNameMetadataKey,
  stopPipelinesMetadataKey,
  type EndpointDefinition,
  type ServiceDefinition,
  type ServiceDefinitionOptions,
  type ServicesProblem,
  type StreamEndpointDefinition,
  type StreamKind,
} from "./service/service-definition.js";
export { createHost, type HostOptions, type ServiceHost } from "./host/create-host.js";
export type { FinishedRequest } from "./host/host-endpoint.js";
export {
  applyInterceptors,
  applyStreamInterceptors,
  type Interceptor,
  type StreamFn,
  type StreamRequest,
  type StreamResponse,
  type UnaryFn,
  type UnaryRequest,
  type UnaryResponse,
} from "./interceptors/interceptor.js";
export { createContextKey, createContextValues, type ContextKey, type ContextValues } from "./service/context-values.js";
export { internalErrorMessage } from "./host/invoke-unary.js";
export type { ConcurrencyLimits } from "./host/concurrency-limit.js";
export type { InfoResponse, PingResponse, StatsResponse } from "./host/micro-discovery.js";
export {
  callWithRetry,
  defaultRetryPolicy,
  mayRetryMethod,
  resolveRetryPolicy,
  type ResolvedRetryPolicy,
  type RetryContext,
  type RetryPolicy,
} from "./client/retry-policy.js";
export {
  createClient,
  defaultTimeoutMs,
  type BidiStreamingCall,
  type CallOptions,
  type ClientOptions,
  type ClientStreamingCall,
  type ClientTransport,
  type MethodCall,
  type ServerStreamingCall,
  type ServiceClient,
  type StreamCallOptions,
  type UnaryCall,
} from "./client/create-client.js";
export { callUnary } from "./client/call-unary.js";
export type { NatsConnection } from "./transport/nats/nats-client.js";
