// How flags, environment variables and NATS CLI context files combine. No network: only files in a
// temporary directory.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultContextDirectory,
  defaultServer,
  resolveConnectionSettings,
} from "../../runtime/src/transport/nats/connection-options.js";

let configDirectory: string;
let contextDirectory: string;

beforeEach(async () => {
  configDirectory = await mkdtemp(join(tmpdir(), "nats-context-"));
  contextDirectory = join(configDirectory, "nats", "context");
  await mkdir(contextDirectory, { recursive: true });
});

afterEach(async () => {
  await rm(configDirectory, { recursive: true, force: true });
});

async function writeContext(name: string, content: object | string): Promise<string> {
  const file = join(contextDirectory, `${name}.json`);
  await writeFile(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

test("with nothing given, the default server and no credentials", () => {
  expect(resolveConnectionSettings({}, {}, contextDirectory)).toEqual({ servers: [defaultServer] });
  expect(defaultServer).toBe("nats://127.0.0.1:4222");
});

test("flags beat environment variables, which beat the context file", async () => {
  await writeContext("prod", {
    url: "nats://context:4222",
    user: "context-user",
    password: "context-password",
    token: "context-token",
    creds: "/context.creds",
    nkey: "/context.nk",
    ca: "/context-ca.pem",
    cert: "/context-cert.pem",
    key: "/context-key.pem",
  });
  const env = {
    NATS_CONTEXT: "prod",
    NATS_URL: "nats://env:4222",
    NATS_USER: "env-user",
    NATS_CREDS: "/env.creds",
    NATS_CA: "/env-ca.pem",
  };
  const settings = resolveConnectionSettings(
    { servers: ["nats://flag:4222"], user: "flag-user", tlsCert: "/flag-cert.pem", name: "calc" },
    env,
    contextDirectory,
  );
  expect(settings).toEqual({
    servers: ["nats://flag:4222"],
    context: "prod",
    name: "calc",
    user: "flag-user",
    password: "context-password",
    token: "context-token",
    creds: "/env.creds",
    nkey: "/context.nk",
    tlsCa: "/env-ca.pem",
    tlsCert: "/flag-cert.pem",
    tlsKey: "/context-key.pem",
  });
});

test("every environment variable is read under the NATS CLI's name", () => {
  const env = {
    NATS_URL: "nats://a:4222",
    NATS_CREDS: "/u.creds",
    NATS_NKEY: "/u.nk",
    NATS_USER: "u",
    NATS_PASSWORD: "p",
    NATS_TOKEN: "t",
    NATS_CA: "/ca.pem",
    NATS_CERT: "/cert.pem",
    NATS_KEY: "/key.pem",
  };
  expect(resolveConnectionSettings({}, env, contextDirectory)).toEqual({
    servers: ["nats://a:4222"],
    creds: "/u.creds",
    nkey: "/u.nk",
    user: "u",
    password: "p",
    token: "t",
    tlsCa: "/ca.pem",
    tlsCert: "/cert.pem",
    tlsKey: "/key.pem",
  });
});

test("several servers: repeated flags, comma-separated lists in NATS_URL and in the context", async () => {
  expect(
    resolveConnectionSettings({ servers: ["nats://a:4222", "nats://b:4222,nats://c:4222"] }, {}, contextDirectory).servers,
  ).toEqual(["nats://a:4222", "nats://b:4222", "nats://c:4222"]);
  expect(resolveConnectionSettings({}, { NATS_URL: "nats://a:1, nats://b:2" }, contextDirectory).servers).toEqual([
    "nats://a:1",
    "nats://b:2",
  ]);
  await writeContext("many", { url: "nats://x:1,nats://y:2" });
  expect(resolveConnectionSettings({ context: "many" }, {}, contextDirectory).servers).toEqual(["nats://x:1", "nats://y:2"]);
});

test("empty values count as not given, as in the NATS CLI's empty context fields", async () => {
  await writeContext("blank", { url: "", user: "", password: "", token: "someone", description: "", tls_first: false });
  expect(resolveConnectionSettings({ context: "blank", servers: [] }, { NATS_USER: "" }, contextDirectory)).toEqual({
    servers: [defaultServer],
    context: "blank",
    token: "someone",
  });
});

test("--context beats NATS_CONTEXT, which beats the context selected in context.txt", async () => {
  await writeContext("one", { url: "nats://one:4222" });
  await writeContext("two", { url: "nats://two:4222" });
  await writeContext("three", { url: "nats://three:4222" });
  await writeFile(join(configDirectory, "nats", "context.txt"), "three\n");
  expect(resolveConnectionSettings({}, {}, contextDirectory).servers).toEqual(["nats://three:4222"]);
  expect(resolveConnectionSettings({}, { NATS_CONTEXT: "two" }, contextDirectory).servers).toEqual(["nats://two:4222"]);
  expect(resolveConnectionSettings({ context: "one" }, { NATS_CONTEXT: "two" }, contextDirectory).servers).toEqual([
    "nats://one:4222",
  ]);
});

test("a context given as an absolute path to a .json file is read from there", async () => {
  const file = join(configDirectory, "elsewhere.json");
  await writeFile(file, JSON.stringify({ url: "nats://elsewhere:4222" }));
  expect(resolveConnectionSettings({ context: file }, {}, contextDirectory).servers).toEqual(["nats://elsewhere:4222"]);
});

test("a missing context file is an error that names the file", () => {
  const file = join(contextDirectory, "nope.json");
  expect(() => resolveConnectionSettings({ context: "nope" }, {}, contextDirectory)).toThrow(
    `cannot read NATS context "nope" from ${file}: no such file`,
  );
});

test("a malformed context file is an error that names the file", async () => {
  const file = await writeContext("broken", "{ url: ");
  expect(() => resolveConnectionSettings({ context: "broken" }, {}, contextDirectory)).toThrow(
    new RegExp(`^NATS context file ${file} is not valid JSON: `),
  );
  await writeContext("array", "[]");
  expect(() => resolveConnectionSettings({ context: "array" }, {}, contextDirectory)).toThrow(/must hold a JSON object/);
  await writeContext("number", { url: 4222 });
  expect(() => resolveConnectionSettings({ context: "number" }, {}, contextDirectory)).toThrow(
    /field "url" must be a string/,
  );
});

test("reconnect settings and the connect timeout come from flags", () => {
  expect(
    resolveConnectionSettings({ maxReconnectAttempts: -1, reconnectTimeWaitMs: 250, connectTimeoutMs: 1_000 }, {}, contextDirectory),
  ).toEqual({ servers: [defaultServer], maxReconnectAttempts: -1, reconnectTimeWaitMs: 250, connectTimeoutMs: 1_000 });
});

test("the context directory follows XDG_CONFIG_HOME", () => {
  expect(defaultContextDirectory({ XDG_CONFIG_HOME: "/xdg" })).toBe(join("/xdg", "nats", "context"));
  expect(defaultContextDirectory({})).toMatch(/\.config[/\\]nats[/\\]context$/);
});
