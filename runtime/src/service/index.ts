// "nats-micro-runtime/service": service definitions from descriptors and proto options, without
// the NATS client: what the plugin checks at generation time.
export { checkServicesTogether, defineService, type ServiceDefinition, type ServicesProblem } from "./service-definition.js";
