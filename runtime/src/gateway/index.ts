// "nats-micro-runtime/gateway": HTTP/JSON to NATS services (google.api.http REST routes, the
// Connect protocol's unary form, server streams as NDJSON or Server-Sent Events, /healthz,
// /readyz, /openapi.json). docs/gateway.md says how.
export {
  defaultGatewayMaxTimeoutMs,
  serveGateway,
  type ErrorRenderContext,
  type Gateway,
  type GatewayOptions,
  type RenderedError,
  type RenderError,
} from "./serve-gateway.js";
export type { CorsOptions } from "./cors.js";
export type { GatewayMetrics } from "./gateway-metrics.js";
export type { RestJsonOptions } from "./rest-response.js";
export { defaultForwardedHeaders, requestedTimeoutMs } from "./gateway-headers.js";
export { connectPath, gatewayRoutes, type GatewayTarget } from "./gateway-routes.js";
export { httpBindings, HttpRuleError, type BodyMapping, type HttpBinding, type PathVariable } from "./http-binding.js";
