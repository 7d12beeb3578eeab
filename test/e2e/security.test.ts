// Security: services over TLS (a wrong CA is a clear error), with user/password, token and nkey
// authentication, and under NATS subject permissions: a host runs with least privilege, and a
// caller that may not publish to a subject gets permission_denied at once, not a timeout.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import { nkeys, type NatsConnection } from "@nats-io/nats-core";
import { Code, type PingResponse } from "nats-micro-runtime";
import { connectNats, type ConnectionSettings } from "nats-micro-runtime/cli";
import { serveTally, TallyClient } from "../gen/testing/reliability/v1/tally_nats.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { rpcRejection } from "../helpers/rpc-rejection.js";
import { createTallyHandlers } from "../helpers/tally-handlers.js";
import { createTlsCertificates, type TlsCertificates } from "../helpers/tls-certificates.js";

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "security-"));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Serves Tally on one connection, calls it from another, and closes both. */
async function callThrough(hostSettings: ConnectionSettings, clientSettings: ConnectionSettings): Promise<void> {
  const hostConnection = await connectNats(hostSettings);
  const clientConnection = await connectNats(clientSettings).catch(async (error: unknown) => {
    await hostConnection.close();
    throw error;
  });
  try {
    const host = await serveTally(hostConnection, createTallyHandlers({ instance: "secured" }).handlers);
    try {
      await expect(new TallyClient(clientConnection, { timeoutMs: 5_000 }).set({ key: "k", value: 3n })).resolves.toMatchObject({ value: 3n, instance: "secured" });
    } finally {
      await host.stop();
    }
  } finally {
    await Promise.all([hostConnection.close(), clientConnection.close()]);
  }
}

describe("TLS", () => {
  let server: NatsServer;
  let certificates: TlsCertificates;
  let otherCertificates: TlsCertificates;
  beforeAll(async () => {
    certificates = await createTlsCertificates(directory);
    // Another CA, which did not sign the server's certificate.
    const otherDirectory = join(directory, "other-ca");
    await mkdir(otherDirectory);
    otherCertificates = await createTlsCertificates(otherDirectory);
    server = await startNatsServer(`tls { cert_file: "${certificates.serverCert}", key_file: "${certificates.serverKey}", timeout: 2 }`);
  });
  afterAll(async () => {
    await server.stop();
  });

  test("host and client with the server's CA call each other over TLS", async () => {
    const settings = { servers: [server.url], tlsCa: certificates.ca };
    await callThrough(settings, settings);
  });

  test("a wrong CA is one clear line: the server's certificate is not trusted", async () => {
    const startedAt = performance.now();
    const error = await connectNats({ servers: [server.url], tlsCa: otherCertificates.ca, connectTimeoutMs: 3_000 }).then(
      async (nc) => {
        await nc.close();
        return new Error("connected with a CA that did not sign the server's certificate");
      },
      (reason: unknown) => reason as Error,
    );
    expect(error.message).toMatch(new RegExp(`^cannot connect to ${server.url}: TLS: .*certificate.* \\(check the TLS CA, certificate and key settings\\)$`));
    expect(error.message).not.toContain("\n");
    expect(performance.now() - startedAt).toBeLessThan(3_000);
  });
});

describe("authentication", () => {
  test("user and password", async () => {
    const server = await startNatsServer(`authorization { users = [ { user: "svc", password: "s3cret" }, { user: "app", password: "0ther" } ] }`);
    try {
      await callThrough({ servers: [server.url], user: "svc", password: "s3cret" }, { servers: [server.url], user: "app", password: "0ther" });
    } finally {
      await server.stop();
    }
  });

  test("token", async () => {
    const server = await startNatsServer(`authorization { token: "t0ken-value" }`);
    try {
      const settings = { servers: [server.url], token: "t0ken-value" };
      await callThrough(settings, settings);
    } finally {
      await server.stop();
    }
  });

  test("nkey", async () => {
    const service = nkeys.createUser();
    const caller = nkeys.createUser();
    const serviceSeed = join(directory, "service.nk");
    const callerSeed = join(directory, "caller.nk");
    await writeFile(serviceSeed, service.getSeed());
    await writeFile(callerSeed, caller.getSeed());
    // Signing the server's nonce takes about a second under Jest (the nkey signature is plain
    // JavaScript, slow in Jest's module sandbox) and longer on a busy machine: more than the server's
    // default authentication timeout of 2 s, after which it drops the connection.
    const server = await startNatsServer(
      `authorization { timeout: 15, users = [ { nkey: "${service.getPublicKey()}" }, { nkey: "${caller.getPublicKey()}" } ] }`,
    );
    try {
      await callThrough({ servers: [server.url], nkey: serviceSeed }, { servers: [server.url], nkey: callerSeed });
    } finally {
      await server.stop();
    }
  });
});

describe("subject permissions", () => {
  // The least a Tally host needs: receive its requests and the $SRV discovery requests, and
  // publish nothing but replies to the requests it receives (allow_responses).
  const leastPrivilegeHost = `{ user: "tally", password: "p", permissions: { subscribe: ["testing.reliability.v1.Tally.*", "$SRV.>"], publish: { deny: ">" }, allow_responses: true } }`;
  // A caller that may read counts but not change them, and ask for discovery.
  const reader = `{ user: "reader", password: "p", permissions: { publish: ["testing.reliability.v1.Tally.Get", "$SRV.>"], subscribe: ["_INBOX.>"] } }`;
  // A caller that may publish requests but not receive replies in its inbox.
  const deaf = `{ user: "deaf", password: "p", permissions: { publish: [">"], subscribe: ["nothing.here"] } }`;
  // A host that may not subscribe to the methods it would serve.
  const wrongHost = `{ user: "wronghost", password: "p", permissions: { subscribe: ["$SRV.>"], allow_responses: true } }`;

  let server: NatsServer;
  let hostConnection: NatsConnection;
  const as = (user: string) => connect({ servers: server.url, user, pass: "p" });

  beforeAll(async () => {
    server = await startNatsServer(`authorization { users = [ ${[leastPrivilegeHost, reader, deaf, wrongHost].join(", ")} ] }`);
    hostConnection = await as("tally");
  });
  afterAll(async () => {
    await hostConnection.close();
    await server.stop();
  });

  test("a host with least privilege serves its methods and answers discovery", async () => {
    const host = await serveTally(hostConnection, createTallyHandlers({ instance: "least" }).handlers);
    const nc = await as("reader");
    try {
      await expect(new TallyClient(nc).get({ key: "k" })).resolves.toMatchObject({ instance: "least" });
      const ping = (await nc.request("$SRV.PING.Tally", undefined, { timeout: 2_000 })).json<PingResponse>();
      expect(ping).toMatchObject({ name: "Tally", id: host.id });
    } finally {
      await host.stop();
      await nc.close();
    }
  });

  test("a caller that may not publish to a method's subject gets permission_denied at once, and its connection works on", async () => {
    const host = await serveTally(hostConnection, createTallyHandlers().handlers);
    const nc = await as("reader");
    try {
      const client = new TallyClient(nc, { timeoutMs: 5_000 });
      const startedAt = performance.now();
      const error = await rpcRejection(client.set({ key: "k", value: 1n }));
      expect(error.code).toBe(Code.PermissionDenied);
      expect(error.rawMessage).toMatch(/^not permitted to call testing\.reliability\.v1\.Tally\.Set: .*Permissions Violation for Publish to "testing\.reliability\.v1\.Tally\.Set"/i);
      expect(performance.now() - startedAt).toBeLessThan(1_000);
      await expect(client.get({ key: "k" })).resolves.toMatchObject({ key: "k" });
    } finally {
      await host.stop();
      await nc.close();
    }
  });

  test("a caller that may not subscribe to its inbox gets permission_denied at once", async () => {
    const host = await serveTally(hostConnection, createTallyHandlers().handlers);
    const nc = await as("deaf");
    try {
      const startedAt = performance.now();
      const error = await rpcRejection(new TallyClient(nc, { timeoutMs: 5_000 }).get({ key: "k" }));
      expect(error.code).toBe(Code.PermissionDenied);
      expect(error.rawMessage).toMatch(/Permissions Violation for Subscription to "_INBOX\./i);
      expect(performance.now() - startedAt).toBeLessThan(1_000);
    } finally {
      await host.stop();
      await nc.close();
    }
  });

  test("a host that may not subscribe to its subjects does not start, and says which subjects", async () => {
    const nc = await as("wronghost");
    try {
      await expect(serveTally(nc, createTallyHandlers().handlers)).rejects.toThrow(
        "service testing.reliability.v1.Tally: the server refused to subscribe to testing.reliability.v1.Tally.Get, testing.reliability.v1.Tally.Set, testing.reliability.v1.Tally.Add: not permitted (check the subscribe permissions of the connection's user)",
      );
      // The connection is not harmed.
      await nc.flush();
      expect(nc.isClosed()).toBe(false);
    } finally {
      await nc.close();
    }
  });
});
