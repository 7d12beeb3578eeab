import { clientTracingInterceptor, hostTracingInterceptor } from "./tracing-interceptors.js";
import type { Interceptor } from "../interceptors/interceptor.js";

/** Tracing started by {@link startOtlpTracing}. */
export interface OtlpTracing {
  /** The host interceptor to put first in the host's `interceptors`. */
  readonly interceptor: Interceptor;
  /** The client interceptor, for a gateway's calls. */
  readonly clientInterceptor: Interceptor;
  /** Sends the spans not yet sent and stops the tracer provider. */
  shutdown(): Promise<void>;
}

/**
 * Registers a global Node tracer provider that sends spans over OTLP/HTTP (protobuf), configured
 * by the standard `OTEL_*` variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`, ...), with the AsyncLocalStorage context
 * manager and the W3C trace-context propagator. What `serve --trace` runs; the SDK packages are
 * loaded only here, so they are needed only by programs that trace.
 */
export async function startOtlpTracing(connection: { getServer(): string }): Promise<OtlpTracing> {
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { defaultResource, detectResources, envDetector }] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  return {
    interceptor: hostTracingInterceptor({ tracerProvider: provider, connection }),
    clientInterceptor: clientTracingInterceptor({ tracerProvider: provider, connection }),
    shutdown: () => provider.shutdown(),
  };
}

