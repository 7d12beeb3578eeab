// "nats-micro-runtime/pipeline": routing-slip pipelines on JetStream that run the same handlers
// (docs/pipelines.md). Loads the JetStream client, an optional peer dependency.
export { definePipeline, type PipelineDefinition } from "./pipeline-definition.js";
export { startPipeline, type StartPipelineOptions, type StartedRoute } from "./start-pipeline.js";
export { PipelineNames, defaultDuplicateWindowMs, defaultDeadLetterRetentionMs } from "./pipeline-names.js";
export type { PipelineStreamOptions } from "./pipeline-streams.js";
export type { RouteContext, RouteHop } from "../service/route-context.js";
export { defaultStopPolicy, type StopPolicy } from "../service/stop-policy.js";
export { serveStatusPage, type StatusPage, type StatusPageOptions } from "./status-page.js";
export type { PipelineStatus, StopStatus } from "./status-page-snapshot.js";
export { servePipeline, type FinishedHop, type PipelineServeOptions } from "./serve-pipeline.js";
export type { StopOutcome } from "./stop-counters.js";
export type { PipelineMetrics } from "./pipeline-metrics.js";
export { listPipelineDeadLetters, replayPipelineDeadLetter, type PipelineDeadLetter, type ReplayOptions, type ReplayedRoute } from "./dead-letters.js";
