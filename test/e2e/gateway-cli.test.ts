// The gateway as real processes: the generated program's `gateway` command (one process and
// --workers 2 sharing a port, stopped by SIGTERM), and the standalone nats-micro-gateway serving
// services from a descriptor set, in front of `calc serve` and a host of the test's own.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { file_testing_gateway_v1_library } from "../gen/testing/gateway/v1/library_pb.js";
import { serveLibrary, type LibraryHandlers } from "../gen/testing/gateway/v1/library_nats.js";
import { calcProgram, runCli, startCli, type RunningCli } from "../helpers/cli-process.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { rootDirectory } from "../helpers/paths.js";

const gatewayProgram = join(rootDirectory, "runtime", "bin", "nats-micro-gateway.js");
let server: NatsServer;
let nc: NatsConnection;
const running: RunningCli[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.kill()));
});
afterAll(async () => {
  await nc.close();
  await server.stop();
});

function start(program: string, args: readonly string[]): RunningCli {
  const cli = startCli(program, [...args, "--server", server.url]);
  running.push(cli);
  return cli;
}

async function average(url: string, values: number[]): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/calc.v1.Calc/Average`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ values }) });
  return { status: response.status, body: await response.json() };
}

test("calc gateway serves calc over HTTP until SIGTERM, then exits 0", async () => {
  const worker = start(calcProgram, ["serve"]);
  await worker.waitForLog((line) => line.msg === "serving");
  const gateway = start(calcProgram, ["gateway", "--listen", "127.0.0.1:0"]);
  const { url } = (await gateway.waitForLog((line) => line.msg === "gateway serving")) as unknown as { url: string };
  expect(await average(url, [1, 2, 6])).toEqual({ status: 200, body: { result: 3, operation: "average" } });
  // The worker validates: an empty list breaks a rule.
  expect((await average(url, [])).status).toBe(400);
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
  gateway.child.kill("SIGTERM");
  expect(await gateway.exited).toEqual({ code: 0, signal: null });
  expect(gateway.logs.map((line) => line.msg)).toContain("stopped");
});

test("gateway --workers 2 shares one port between two processes", async () => {
  const worker = start(calcProgram, ["serve"]);
  await worker.waitForLog((line) => line.msg === "serving");
  const gateway = start(calcProgram, ["gateway", "--listen", "127.0.0.1:0", "--workers", "2"]);
  await gateway.waitForLog((line) => line.msg === "gateway serving");
  const serving = await gateway.waitForLog((line) => line.msg === "gateway serving" && gateway.logs.filter((other) => other.msg === "gateway serving").length === 2);
  const urls = new Set(gateway.logs.filter((line) => line.msg === "gateway serving").map((line) => line.url));
  expect(urls.size).toBe(1);
  const url = serving.url as string;
  const replies = await Promise.all(Array.from({ length: 20 }, (_, index) => average(url, [index, index])));
  expect(replies.every((reply) => reply.status === 200)).toBe(true);
  gateway.child.kill("SIGTERM");
  expect((await gateway.exited).code).toBe(0);
});

test("a malformed --listen is a usage error", async () => {
  const result = await runCli(calcProgram, ["gateway", "--listen", "here", "--server", server.url]);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toContain("is not HOST:PORT");
});

describe("nats-micro-gateway", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "nats-micro-gateway-"));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  // A descriptor set of a file and everything it imports, as `buf build -o` writes it.
  async function descriptorSet(file: DescFile): Promise<string> {
    const files: DescFile[] = [];
    const add = (next: DescFile) => {
      if (!files.includes(next)) {
        next.dependencies.forEach(add);
        files.push(next);
      }
    };
    add(file);
    const path = join(directory, "services.binpb");
    await writeFile(path, toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: files.map((each) => each.proto) })));
    return path;
  }

  test("serves the services of a descriptor set, REST routes included", async () => {
    const host = await serveLibrary(nc, { getBook: (request) => ({ name: request.name, title: "From the set" }) } as Partial<LibraryHandlers> as LibraryHandlers, { methods: ["GetBook"] });
    try {
      const descriptors = await descriptorSet(file_testing_gateway_v1_library);
      const gateway = start(gatewayProgram, ["gateway", "--descriptors", descriptors, "--services", "testing.gateway.v1.Library", "--listen", "127.0.0.1:0"]);
      const { url } = (await gateway.waitForLog((line) => line.msg === "gateway serving")) as unknown as { url: string };
      const response = await fetch(`${url}/v1/shelves/a/books/b`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ name: "shelves/a/books/b", title: "From the set" });
    } finally {
      await host.stop();
    }
  });

  test("an unknown service name fails with a clear error", async () => {
    const descriptors = await descriptorSet(file_testing_gateway_v1_library);
    const result = await runCli(gatewayProgram, ["gateway", "--descriptors", descriptors, "--services", "nope.Service", "--listen", "127.0.0.1:0", "--server", server.url]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("the descriptor set has no service nope.Service");
  });
});
