/**
 * Whether the environment asks for traces: `OTEL_TRACES_EXPORTER` names `otlp` (the variable is a
 * comma-separated list; `none` or unset ask for none).
 */
export function tracingRequestedByEnvironment(environment: NodeJS.ProcessEnv = process.env): boolean {
  return (environment["OTEL_TRACES_EXPORTER"] ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .includes("otlp");
}
