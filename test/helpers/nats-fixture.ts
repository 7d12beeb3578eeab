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
}

/**
 * Starts a nats-server (127.0.0.1, a free port) and connects to it before the file's tests, stops
 * the hosts in `hosts` after each test, and closes both after the last. Call at the top of a file.
 */
export function useNatsFixture(): NatsFixture {
  let server: NatsServer | undefined;
  let nc: NatsConnection | undefined;
  const hosts: ServiceHost[] = [];
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((host) => host.stop()));
  });
  afterAll(async () => {
    await nc?.close();
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
  };
}
