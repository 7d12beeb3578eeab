// Streaming methods of every kind are generated beside unary ones, typed as in Connect-ES (docs/
// streaming.md); only a service without methods is skipped, and the plugin says so on stderr.
import { generate, type PluginRun } from "../helpers/run-plugin.js";

const protos = {
  "live/v1/live.proto": `syntax = "proto3";

package live.v1;

message Tick {
  uint64 sequence = 1;
}

// Live mixes every kind of method.
service Live {
  // Get is unary.
  rpc Get(Tick) returns (Tick);
  rpc Subscribe(Tick) returns (stream Tick);
  rpc Upload(stream Tick) returns (Tick);
  rpc Chat(stream Tick) returns (stream Tick);
  // Put is unary too, after the streaming ones.
  rpc Put(Tick) returns (Tick);
}

// Relay has streaming methods only.
service Relay {
  rpc Forward(stream Tick) returns (stream Tick);
}

// Idle has no methods.
service Idle {}
`,
  "live/v1/stream_only.proto": `syntax = "proto3";

package live.v1;

import "live/v1/live.proto";

service Broadcast {
  rpc Listen(Tick) returns (stream Tick);
}
`,
};

let run: PluginRun;

beforeAll(async () => {
  run = await generate(protos);
}, 30_000);

test("every method is generated, in proto order, each typed by its kind in the handlers", () => {
  const live = run.files["live/v1/live_nats.ts"] ?? "";
  expect(live).toContain("export interface LiveHandlers {");
  expect(live).toContain("  get(request: Tick, context: HandlerContext):");
  expect(live).toContain("  subscribe(request: Tick, context: HandlerContext): AsyncIterable<MessageInitShape<typeof TickSchema>>;");
  expect(live).toContain("  upload(requests: AsyncIterable<Tick>, context: HandlerContext): Promise<MessageInitShape<typeof TickSchema>>;");
  expect(live).toContain("  chat(requests: AsyncIterable<Tick>, context: HandlerContext): AsyncIterable<MessageInitShape<typeof TickSchema>>;");
  expect(live).toContain("  put(request: Tick, context: HandlerContext):");
  const order = ["  get(", "  subscribe(", "  upload(", "  chat(", "  put("].map((start) => live.indexOf(start));
  expect(order).toEqual([...order].sort((a, b) => a - b));
});

test("the client's streaming methods take and return AsyncIterables, with the stream call options", () => {
  const live = run.files["live/v1/live_nats.ts"] ?? "";
  expect(live).toContain("  subscribe(\n    request: MessageInitShape<typeof TickSchema>,\n    options?: StreamCallOptions,\n  ): AsyncIterable<Tick> {");
  expect(live).toContain("  upload(\n    requests: AsyncIterable<MessageInitShape<typeof TickSchema>>,\n    options?: StreamCallOptions,\n  ): Promise<Tick> {");
  expect(live).toContain("  chat(\n    requests: AsyncIterable<MessageInitShape<typeof TickSchema>>,\n    options?: StreamCallOptions,\n  ): AsyncIterable<Tick> {");
  expect(live).toContain("    return this.#client.get(request, options);");
  expect(live).toContain("    return this.#client.upload(requests, options);");
});

test("the serve function lists each subject with its kind", () => {
  const live = run.files["live/v1/live_nats.ts"] ?? "";
  expect(live).toContain(" * - Get: `live.v1.Live.Get` (queue group `q`)");
  expect(live).toContain(" * - Subscribe: `live.v1.Live.Subscribe` (server streaming, queue group `q`)");
  expect(live).toContain(" * - Upload: `live.v1.Live.Upload` (client streaming, queue group `q`)");
  expect(live).toContain(" * - Chat: `live.v1.Live.Chat` (bidirectional streaming, queue group `q`)");
});

test("services with streaming methods only are generated; one without methods is not", () => {
  const live = run.files["live/v1/live_nats.ts"] ?? "";
  expect(live).toContain("export interface RelayHandlers {");
  expect(live).toContain("export class RelayClient {");
  expect(live).not.toContain("Idle");
  expect(run.files["live/v1/stream_only_nats.ts"]).toContain("export function serveBroadcast(");
  expect(Object.keys(run.files).sort()).toEqual(["live/v1/live_nats.ts", "live/v1/stream_only_nats.ts"]);
});

test("only the service without methods draws a warning", () => {
  expect(run.stderr).toBe("protoc-gen-nats: warning: live/v1/live.proto: skipping service live.v1.Idle: it has no methods\n");
});
