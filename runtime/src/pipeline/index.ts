// "nats-micro-runtime/pipeline": routing-slip pipelines on JetStream (docs/pipelines.md).
export { serveStatusPage, type StatusPage, type StatusPageOptions } from "./status-page.js";
export type { PipelineStatus, StopStatus } from "./status-page-snapshot.js";
