// Streaming calls from the command line (docs/cli.md, "Streams"), as real processes against a real
// nats-server: replies as JSON lines, requests as JSON lines from standard input or a file, errors
// after the lines before them, Ctrl-C canceling the stream on the host; and a host or a caller
// process killed mid-stream, which the other side notices within the liveness bound.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { Code, exitCodeFromCode, RpcError } from "nats-micro-runtime";
import { serveStreams, StreamsClient } from "../gen/testing/streams/v1/streams_nats.js";
import { runCli, startCli } from "../helpers/cli-process.js";
import { waitUntil } from "../helpers/nats-cluster.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";
import { compileTestCode, type CompiledTestCode } from "../helpers/compile-test-code.js";
import { rootDirectory } from "../helpers/paths.js";
import { createStreamsHandlers, type StreamsState } from "../helpers/streams-handlers.js";

const program = join(rootDirectory, "test", "fixtures", "streams-cli.mjs");
const nats = useNatsFixture({ hostConnections: 1 });
let compiled: CompiledTestCode;
let files: string;
let state: StreamsState;

beforeAll(async () => {
  // The fixture is plain JavaScript: it needs the service's descriptor compiled.
  compiled = await compileTestCode(streamsPb);
  files = await mkdtemp(join(tmpdir(), "cli-streams-"));
}, 90_000);

afterAll(async () => {
  await compiled?.remove();
  await rm(files, { recursive: true, force: true });
});

const streamsPb = "testing/streams/v1/streams_pb.ts";
const env = () => ({ STREAMS_PB: compiled.moduleOf(streamsPb) });
const streams = (args: string[], input?: string) => runCli(program, [...args, "--server", nats.server.url], { env: { ...process.env, ...env() }, ...(input === undefined ? {} : { input }) });

async function serve() {
  state = createStreamsHandlers();
  nats.hosts.push(await serveStreams(nats.hostConnections[0]!, state.handlers));
}

test("call lists the streaming methods with their kind", async () => {
  const result = await runCli(program, ["call", "--help"], { env: { ...process.env, ...env() } });
  expect(result.stdout).toContain("(testing.streams.v1.Streams.Count, server streaming)");
  expect(result.stdout).toContain("(testing.streams.v1.Streams.Sum, client streaming)");
  expect(result.stdout).toContain("(testing.streams.v1.Streams.Echo, bidirectional streaming)");
});

test("a server-streaming call prints each reply as a JSON line, in order", async () => {
  await serve();
  const result = await streams(["call", "count", '{"count": 5}']);
  expect(result.exitCode).toBe(0);
  expect(result.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as { n: number })).toEqual([1, 2, 3, 4, 5].map((n) => ({ n, payload: "" })));
});

test("a client-streaming call reads its requests as JSON lines from standard input and prints the reply", async () => {
  await serve();
  const result = await streams(["call", "sum", "-"], '{"n": 1}\n\n{"n": 2}\n{"n": 39}\n');
  expect(result.exitCode).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual({ count: 3, sum: "42" });
});

test("a bidirectional call reads its requests from a file and prints each reply as it comes", async () => {
  await serve();
  const file = join(files, "items.jsonl");
  await writeFile(file, Array.from({ length: 50 }, (_, index) => JSON.stringify({ n: index + 1 })).join("\n"));
  const result = await streams(["call", "Echo", "--file", file, "--encoding", "json"]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout.trimEnd().split("\n").map((line) => (JSON.parse(line) as { n: number }).n)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
});

test("a line that is not a request fails the call with invalid_argument, naming the line", async () => {
  await serve();
  const result = await streams(["call", "sum", "-"], '{"n": 1}\n{"m": 2}\n');
  expect(result.exitCode).toBe(exitCodeFromCode(Code.InvalidArgument));
  expect(result.stderr).toMatch(/^error: invalid_argument: line 2 of standard input is not a valid testing\.streams\.v1\.Item in JSON/);
});

test("an error mid-stream comes after the replies before it, with its code as the exit code", async () => {
  await serve();
  const result = await streams(["call", "count", '{"count": 10, "failAfter": 3, "failCode": "failed_precondition"}']);
  expect(result.stdout.trimEnd().split("\n")).toHaveLength(3);
  expect(result.stderr).toBe("error: failed_precondition: failed after 3 items\n");
  expect(result.exitCode).toBe(exitCodeFromCode(Code.FailedPrecondition));
});

test("Ctrl-C cancels the stream on the host", async () => {
  await serve();
  const aborted = state.nextAbort();
  const cli = startCli(program, ["call", "count", '{"count": 1000000, "intervalMs": 5}', "--server", nats.server.url], { env: env() });
  nats.processes.push(cli);
  // Each reply is a JSON line, which the helper collects as it does log lines.
  await waitUntil("replies to come", () => cli.logs.length >= 3, 10_000);
  cli.child.kill("SIGINT");
  expect((await aborted).code).toBe(Code.Canceled);
  expect((await cli.exited).code).toBe(exitCodeFromCode(Code.Canceled));
});

test("a host process killed mid-stream fails its caller with unavailable within the liveness bound", async () => {
  const heartbeatMs = 200;
  const host = startCli(program, ["serve", "--server", nats.server.url], { env: env() });
  nats.processes.push(host);
  await host.waitForLog((line) => line.msg === "serving");
  const client = new StreamsClient(nats.nc, { streamHeartbeatMs: heartbeatMs });
  let killedAt = 0;
  let received = 0;
  try {
    for await (const _ of client.count({ count: 1_000_000, intervalMs: 5 })) {
      received += 1;
      if (received === 3) {
        killedAt = performance.now();
        await host.kill();
      }
    }
    throw new Error("the stream ended without a failure");
  } catch (error) {
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.Unavailable);
  }
  expect(performance.now() - killedAt).toBeLessThan(4 * heartbeatMs + 1_000);
});

test("a caller process killed mid-stream aborts the handler within the liveness bound", async () => {
  await serve();
  const aborted = state.nextAbort();
  const caller = startCli(program, [], { env: { ...env(), STREAMS_CALLER_OF: nats.server.url } });
  nats.processes.push(caller);
  await waitUntil("items to reach the caller", () => caller.logs.length >= 3, 10_000);
  const killedAt = performance.now();
  await caller.kill();
  // Its heartbeats are every 200 ms: the host takes it for gone after three silent intervals.
  expect((await aborted).code).toBe(Code.Unavailable);
  expect(performance.now() - killedAt).toBeLessThan(4 * 200 + 1_000);
});
