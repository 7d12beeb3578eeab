// "nats-micro-runtime/gateway/rules": the gateway's rules without its server, for code generators
// (the plugin checks google.api.http rules and writes OpenAPI documents with it). Loads no node:http
// and no NATS client.
export { connectPath, gatewayRoutes, type GatewayTarget } from "./gateway-routes.js";
export { httpBindings, HttpRuleError, type BodyMapping, type HttpBinding, type PathVariable } from "./http-binding.js";
export { errorSchemaNames, openApiDocument, type OpenApiDocument, type OpenApiDocumentOptions } from "./openapi-document.js";
export type { DescribedElement, DescribeElement } from "./openapi-schema.js";
export type { PathTemplate, TemplateSegment, TemplateVariable } from "./path-template.js";
