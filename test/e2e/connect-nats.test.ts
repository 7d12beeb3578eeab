// connectNats against real servers: each way of authenticating works when right, and each
// failure is one clear line with the original error as its cause.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { nkeys } from "@nats-io/nats-core";
import { connectNats, resolveConnectionSettings, type ConnectionSettings } from "nats-micro-runtime/cli";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { createOperatorCredentials } from "../helpers/operator-credentials.js";
import { createTlsCertificates, type TlsCertificates } from "../helpers/tls-certificates.js";

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "connect-nats-"));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

// Connects, checks the connection with a round trip, and closes it.
async function connectAndClose(settings: ConnectionSettings): Promise<void> {
  const nc = await connectNats(settings);
  try {
    await nc.flush();
  } finally {
    await nc.close();
  }
}

// The Error connectNats rejects with; fails the test if it connects.
async function connectError(settings: ConnectionSettings): Promise<Error> {
  const result = await connectNats(settings).then(
    async (nc) => {
      await nc.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(result).toBeInstanceOf(Error);
  return result as Error;
}

function expectOneLine(error: Error): void {
  expect(error.message).not.toContain("\n");
  expect(error.message).not.toMatch(/\bat .*\.(js|ts):\d+/);
  expect(error.cause).toBeDefined();
}

describe("user and password", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer(`authorization { users = [ { user: "alice", password: "s3cret" } ] }`);
  });
  afterAll(async () => {
    await server.stop();
  });

  test("the right password connects, with the connection name the settings give", async () => {
    const settings = resolveConnectionSettings({ servers: [server.url], user: "alice", password: "s3cret", name: "calc-cli" }, {});
    const nc = await connectNats(settings);
    try {
      expect(nc.info?.server_id).toBeTruthy();
      await nc.flush();
    } finally {
      await nc.close();
    }
  });

  test("credentials from the environment connect too", async () => {
    const settings = resolveConnectionSettings({}, { NATS_URL: server.url, NATS_USER: "alice", NATS_PASSWORD: "s3cret" });
    await connectAndClose(settings);
  });

  test("a wrong password is one line naming the user and the server", async () => {
    const error = await connectError({ servers: [server.url], user: "alice", password: "wrong" });
    expect(error.message).toBe(`authentication failed for user "alice" at ${server.url}: wrong user or password`);
    expectOneLine(error);
  });

  test("no credentials at all says which are needed", async () => {
    const error = await connectError({ servers: [server.url] });
    expect(error.message).toMatch(new RegExp(`^authentication failed at ${server.url}: the server requires credentials`));
    expectOneLine(error);
  });
});

describe("token", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer(`authorization { token: "t0ken-value" }`);
  });
  afterAll(async () => {
    await server.stop();
  });

  test("the right token connects", async () => {
    await connectAndClose({ servers: [server.url], token: "t0ken-value" });
  });

  test("a wrong token is one line", async () => {
    const error = await connectError({ servers: [server.url], token: "other" });
    expect(error.message).toBe(`authentication failed at ${server.url}: wrong token`);
    expectOneLine(error);
  });
});

describe("nkey", () => {
  let server: NatsServer;
  let seedFile: string;
  let otherSeedFile: string;
  beforeAll(async () => {
    const user = nkeys.createUser();
    seedFile = join(directory, "user.nk");
    await writeFile(seedFile, `# a user seed\n${new TextDecoder().decode(user.getSeed())}\n`);
    otherSeedFile = join(directory, "other.nk");
    await writeFile(otherSeedFile, nkeys.createUser().getSeed());
    // Signing the server's nonce can take a second in a busy test process: more than the
    // server's default 2 s authentication timeout allows on a loaded machine.
    server = await startNatsServer(`authorization { timeout: 15, users = [ { nkey: "${user.getPublicKey()}" } ] }`);
  });
  afterAll(async () => {
    await server.stop();
  });

  test("the registered seed connects", async () => {
    await connectAndClose(resolveConnectionSettings({}, { NATS_URL: server.url, NATS_NKEY: seedFile }));
  });

  test("another seed is one line naming the seed file", async () => {
    const error = await connectError({ servers: [server.url], nkey: otherSeedFile });
    expect(error.message).toBe(
      `authentication failed with nkey seed file ${otherSeedFile} at ${server.url}: the server does not accept this identity`,
    );
    expectOneLine(error);
  });

  test("a file without a seed is one line", async () => {
    const file = join(directory, "empty.nk");
    await writeFile(file, "nothing here\n");
    const error = await connectError({ servers: [server.url], nkey: file });
    expect(error.message).toBe(`nkey seed file ${file} holds no nkey seed (a line starting with "S")`);
  });
});

describe("creds file (operator mode: JWTs signed by an operator and an account)", () => {
  let server: NatsServer;
  let credsFile: string;
  let strangerCredsFile: string;
  beforeAll(async () => {
    const credentials = createOperatorCredentials();
    credsFile = join(directory, "user.creds");
    await writeFile(credsFile, credentials.creds);
    strangerCredsFile = join(directory, "stranger.creds");
    await writeFile(strangerCredsFile, credentials.strangerCreds);
    // As for nkeys: time to sign the nonce on a busy machine.
    server = await startNatsServer(`${credentials.serverConfig}authorization { timeout: 15 }\n`);
  });
  afterAll(async () => {
    await server.stop();
  });

  test("the user's creds file logs in", async () => {
    await connectAndClose(resolveConnectionSettings({}, { NATS_URL: server.url, NATS_CREDS: credsFile }));
  });

  test("creds of an account the server does not know are one line naming the file", async () => {
    const error = await connectError({ servers: [server.url], creds: strangerCredsFile });
    expect(error.message).toBe(`authentication failed with creds file ${strangerCredsFile} at ${server.url}: the server does not accept this identity`);
    expectOneLine(error);
  });

  test("no credentials at all are one line saying that the server requires them", async () => {
    const error = await connectError({ servers: [server.url] });
    expect(error.message).toBe(
      `authentication failed at ${server.url}: the server requires credentials (--creds, --nkey, --user/--password or --token)`,
    );
  });
});

describe("failures before any authentication", () => {
  let closedUrl: string;
  beforeAll(async () => {
    // A port a server just listened on and gave up: nothing listens there now.
    const server = await startNatsServer();
    closedUrl = server.url;
    await server.stop();
  });

  test("an unreachable server is one line, quickly", async () => {
    const started = performance.now();
    const error = await connectError({ servers: [closedUrl], connectTimeoutMs: 2_000 });
    expect(error.message).toBe(`cannot connect to ${closedUrl}: connection refused`);
    expectOneLine(error);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  test("several unreachable servers are all named", async () => {
    const other = closedUrl.replace(/:(\d+)$/, (_, port: string) => `:${Number(port) === 65535 ? 65534 : Number(port) + 1}`);
    const error = await connectError({ servers: [closedUrl, other], connectTimeoutMs: 2_000 });
    expect(error.message).toMatch(new RegExp(`^cannot connect to ${closedUrl}, ${other}: `));
    expectOneLine(error);
  });

  test("a missing creds file is one line naming the file", async () => {
    const file = join(directory, "missing.creds");
    const error = await connectError({ servers: [closedUrl], creds: file });
    expect(error.message).toBe(`cannot read creds file ${file}: no such file`);
    expectOneLine(error);
  });

  test("a missing TLS CA file is one line naming the file", async () => {
    const file = join(directory, "missing-ca.pem");
    const error = await connectError({ servers: [closedUrl], tlsCa: file });
    expect(error.message).toBe(`cannot read TLS CA file ${file}: no such file`);
  });
});

describe("TLS with client certificates", () => {
  let server: NatsServer;
  let certificates: TlsCertificates;
  beforeAll(async () => {
    certificates = await createTlsCertificates(directory);
    server = await startNatsServer(
      `tls { cert_file: "${certificates.serverCert}", key_file: "${certificates.serverKey}", ` +
        `ca_file: "${certificates.ca}", verify: true, timeout: 2 }`,
    );
  });
  afterAll(async () => {
    await server.stop();
  });

  test("the CA, the client certificate and its key connect", async () => {
    const settings = resolveConnectionSettings(
      { servers: [server.url], tlsCert: certificates.clientCert, tlsKey: certificates.clientKey },
      { NATS_CA: certificates.ca },
    );
    await connectAndClose(settings);
  });

  test("without a client certificate the server refuses, in one line", async () => {
    const error = await connectError({ servers: [server.url], tlsCa: certificates.ca, connectTimeoutMs: 3_000 });
    expect(error.message).toMatch(new RegExp(`^cannot connect to ${server.url}: `));
    expectOneLine(error);
  });

  test("without the CA the server's certificate is not trusted, in one line", async () => {
    const error = await connectError({ servers: [server.url], connectTimeoutMs: 3_000 });
    expect(error.message).toMatch(new RegExp(`^cannot connect to ${server.url}: TLS: .*certificate`));
    expectOneLine(error);
  });
});
