import { connect as connectV2 } from "nats";
import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import type { NatsClientSettings } from "../process-messages.js";

/**
 * Connects a load client to nats-server with the case's settings, through nats.js v3 (what the
 * runtime uses). Everything else is nats.js's default, so that the report can state the options
 * exactly.
 */
export function connectBenchNats(url: string, settings: NatsClientSettings, name: string): Promise<NatsConnection> {
  const options: ConnectionOptions = { servers: url, name, noAsyncTraces: settings.noAsyncTraces };
  return connect(options);
}

/** The same connection through the `nats` 2.x package (nats.js v2), for the `raw-v2` cases. */
export function connectBenchNatsV2(url: string, settings: NatsClientSettings, name: string) {
  return connectV2({ servers: url, name, noAsyncTraces: settings.noAsyncTraces });
}
