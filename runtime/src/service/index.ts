// "nats-micro-runtime/service": service definitions from descriptors and proto options, without
// the NATS client: what the plugin checks at generation time.
export { checkServicesTogether, defineService, streamKindLabel, type ServiceDefinition, type ServicesProblem } from "./service-definition.js";
// The plugin checks its default_version option with the same rule as the service options.
export { checkVersion } from "../protocol/naming-rules.js";
// The plugin checks pipelines and their stops at generation (docs/pipelines.md).
export { checkPipelines, pipelinesOf, stopNameOf, type PipelineDeclaration, type PipelineProblem } from "./pipeline-declarations.js";
export type { StopPolicy } from "./stop-policy.js";
