import { connect, type ConnectionOptions, type NatsConnection } from "nats";
import type { NatsClientSettings } from "../process-messages.js";

/**
 * Connects a load client to nats-server with the case's settings. Everything else is nats.js's
 * default, so that the report can state the options exactly.
 */
export function connectBenchNats(url: string, settings: NatsClientSettings, name: string): Promise<NatsConnection> {
  const options: ConnectionOptions = { servers: url, name, noAsyncTraces: settings.noAsyncTraces };
  return connect(options);
}
