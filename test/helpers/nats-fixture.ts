import { afterAll, afterEach, beforeAll } from "@jest/globals";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { ServiceHost } from "nats-micro-runtime";
import { startNatsServer, type NatsServer } from "./nats-server.js";

/** A nats-server of a test file's own, a connection to it, and the hosts its tests start. */
export interface NatsFixture {
  readonly server: NatsServer;
  readonly nc: NatsConnection;
  /** Hosts to stop after the current test: push each host a test starts. */
  readonly hosts: ServiceHost[];
  /** More connections, one per host, as separate worker processes would have (see `hostConnections`). */
  readonly hostConnections: readonly NatsConnection[];
  /** Processes to end after the current test (such as `startCli`'s): push each one a test starts. */
  readonly processes: { kill(): Promise<unknown> }[];
}

/** Options of {@link useNatsFixture}. */
export interface NatsFixtureOptions {
  /** How many connections of their own to open for hosts, besides `nc`; none unless set. */
  hostConnections?: number;
}

/**
 * Starts a nats-server (127.0.0.1, a free port) and connects to it before the file's tests (with
 * `hostConnections` more connections), stops the hosts in `hosts` and ends the `processes` after
 * each test, and closes the connections and the server after the last. Call at the top of a file.
 */
export function useNatsFixture(options: NatsFixtureOptions = {}): NatsFixture {
  let server: NatsServer | undefined;
  let nc: NatsConnection | undefined;
  const hosts: ServiceHost[] = [];
  const hostConnections: NatsConnection[] = [];
  const processes: { kill(): Promise<unknown> }[] = [];
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    for (let index = 0; index < (options.hostConnections ?? 0); index++) {
      hostConnections.push(await connect({ servers: server.url }));
    }
  });
  afterEach(async () => {
    await Promise.all([...hosts.splice(0).map((host) => host.stop()), ...processes.splice(0).map((process) => process.kill())]);
  });
  afterAll(async () => {
    await Promise.all([nc, ...hostConnections].map((connection) => connection?.close()));
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) {
      throw new Error("the nats-server of this file has not started: use the fixture inside tests and hooks");
    }
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get nc() {
      return started(nc);
    },
    hosts,
    hostConnections,
    processes,
  };
}
