// The Metropolis example's workers on a real nats-server: the task on subject foo.bar in queue
// group worker, as $SRV.INFO announces it; two generated serveWorker instances sharing the
// generated client's requests; a plain request on foo.bar, as a caller that knows only the subject
// sends it; and `metropolis serve --workers 2` as a real process.
import { join } from "node:path";
import type { Msg } from "@nats-io/nats-core";
import type { InfoResponse } from "nats-micro-runtime";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { workerHandlers } from "../../examples/metropolis/src/worker-handlers.js";
import { ReverseRequestSchema, ReverseResponseSchema } from "../../examples/metropolis/src/gen/metropolis/v1/worker_pb.js";
import { serveWorker, WorkerClient } from "../../examples/metropolis/src/gen/metropolis/v1/worker_nats.js";
import { runCli, startCli, type LogLine } from "../helpers/cli-process.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";
import { rootDirectory } from "../helpers/paths.js";
import { rawRequest } from "../helpers/raw-nats.js";

/** The example's `metropolis` program, as `npx metropolis` runs it. */
const metropolisProgram = join(rootDirectory, "examples", "metropolis", "bin", "metropolis.js");

const fixture = useNatsFixture({ hostConnections: 2 });
// One connection per host, as separate worker processes would have.
const { hosts, hostConnections, processes } = fixture;

/** Every instance's reply to `$SRV.INFO.Worker`, waiting for `count` of them. */
async function infoOfAll(count: number): Promise<InfoResponse[]> {
  const replies: Msg[] = [];
  for await (const reply of await fixture.nc.requestMany("$SRV.INFO.Worker", undefined, { strategy: "count", maxMessages: count, maxWait: 2_000 })) {
    replies.push(reply);
  }
  return replies.map((reply) => reply.json<InfoResponse>());
}

/** What each instance must announce: one endpoint, on foo.bar, in queue group worker. */
function expectTheTask(info: readonly InfoResponse[], ids: readonly string[]): void {
  expect(info.map((reply) => reply.id).sort()).toEqual([...ids].sort());
  for (const reply of info) {
    expect(reply.name).toBe("Worker");
    expect(reply.endpoints).toEqual([
      {
        name: "Reverse",
        subject: "foo.bar",
        queue_group: "worker",
        metadata: { "proto.request_type": "metropolis.v1.ReverseRequest", "proto.response_type": "metropolis.v1.ReverseResponse" },
      },
    ]);
  }
}

test("two workers announce Reverse on foo.bar in queue group worker, and share the client's 100 requests", async () => {
  hosts.push(...(await Promise.all(hostConnections.map((connection) => serveWorker(connection, workerHandlers)))));
  expectTheTask(await infoOfAll(2), hosts.map((host) => host.id));

  const worker = new WorkerClient(fixture.nc, { timeoutMs: 5_000 });
  const texts = Array.from({ length: 100 }, (_, index) => `text ${index} 😀 é`);
  const replies = await Promise.all(texts.map((data) => worker.reverse({ data })));
  replies.forEach((reply, index) => expect(reply.data).toBe([...texts[index]!].reverse().join("")));
  const counts = hosts.map((host) => host.stats().endpoints[0]!.num_requests);
  expect(counts[0]).toBeGreaterThan(0);
  expect(counts[1]).toBeGreaterThan(0);
  expect(counts[0]! + counts[1]!).toBe(100);
});

test("a plain request on foo.bar, binary or JSON, is answered by the task", async () => {
  hosts.push(await serveWorker(hostConnections[0]!, workerHandlers));
  const binary = await rawRequest(fixture.nc, "foo.bar", toBinary(ReverseRequestSchema, create(ReverseRequestSchema, { data: "a😀b" })));
  expect(fromBinary(ReverseResponseSchema, binary.data).data).toBe("b😀a");
  const json = await rawRequest(fixture.nc, "foo.bar", '{"data": "hello"}', { "Content-Type": "application/json" });
  expect(JSON.parse(json.string())).toEqual({ data: "olleh" });
});

test("`metropolis serve --workers 2`: two processes on foo.bar in queue group worker, called by `metropolis call`", async () => {
  const cli = startCli(metropolisProgram, ["serve", "--workers", "2", "--server", fixture.server.url]);
  processes.push(cli);
  const serving = (): LogLine[] => cli.logs.filter((line) => line.msg === "serving");
  await cli.waitForLog(() => serving().length >= 2, 15_000);
  expectTheTask(await infoOfAll(2), serving().map((line) => String(line["instance"])));

  const call = await runCli(metropolisProgram, ["call", "reverse", '{"data": "Metropolis 🏙️"}', "--server", fixture.server.url]);
  expect(call.stderr).toBe("");
  expect(call.exitCode).toBe(0);
  expect(JSON.parse(call.stdout)).toEqual({ data: "\u{FE0F}🏙 siloporteM" });
});
