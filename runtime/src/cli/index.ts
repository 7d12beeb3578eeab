// "nats-micro-runtime/cli": the command line of a service, and the NATS connection settings of
// the NATS CLI (flags, environment, contexts) for programs of your own.
export { alsoServe, createServiceCli, runServiceCli, type AlsoServed, type HandlersLifetime, type HandlersSource, type ServiceCliOptions } from "./service-cli.js";
export { describeFailure, ExitCode, exitCodeOf } from "./exit-codes.js";
export { createLogger, logLevels, type LogLevel } from "./create-logger.js";
export { runWorkerPool, type WorkerPoolOptions } from "./worker-pool.js";
export {
  defaultContextDirectory,
  defaultServer,
  resolveConnectionSettings,
  type ConnectionFlags,
  type ConnectionSettings,
} from "../transport/nats/connection-options.js";
export { connectNats, SettingsFileError } from "../transport/nats/connect-nats.js";
export { createGatewayProgram, runGatewayProgram, servicesFromDescriptorSet } from "./gateway-program.js";
