/**
 * The entry point for generated command-line programs (`<name>_cli.ts`), version 1. Internal, as
 * `nats-micro-runtime/codegenv1` is; apart from it, so that a plain host or client does not load
 * the CLI (commander, pino, node:cluster, prom-client).
 *
 * @internal
 */
export { runServiceCli, type ServiceCliOptions } from "../cli/service-cli.js";
