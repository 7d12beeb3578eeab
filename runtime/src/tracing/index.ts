/**
 * OpenTelemetry tracing for clients and hosts (docs/interceptors.md, "Tracing"): a CLIENT span per
 * call and a SERVER span per request, joined by W3C trace context in the NATS headers. Needs
 * `@opentelemetry/api`, which only programs that import this entry load.
 */
export { clientTracingInterceptor, codeAttribute, hostTracingInterceptor, rpcSystem, type TracingOptions } from "./tracing-interceptors.js";
