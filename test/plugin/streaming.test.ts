// This version serves unary methods only: streaming methods (and services left without methods)
// are skipped, and the plugin says so on stderr, which buf passes through.
import { generate, type PluginRun } from "../helpers/run-plugin.js";

const protos = {
  "live/v1/live.proto": `syntax = "proto3";

package live.v1;

message Tick {
  uint64 sequence = 1;
}

// Live mixes every kind of method.
service Live {
  // Get is unary: it is generated.
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

test("generation succeeds and keeps the unary methods", () => {
  const live = run.files["live/v1/live_nats.ts"] ?? "";
  expect(live).toContain("export interface LiveHandlers {");
  expect(live).toContain("  get(request: Tick, context: HandlerContext):");
  expect(live).toContain("  put(request: Tick, context: HandlerContext):");
  expect(live).toContain("    return this.#client.get(request, options);");
  expect(live).toContain("    return this.#client.put(request, options);");
});

test("streaming methods are absent from the handlers and the client", () => {
  const live = run.files["live/v1/live_nats.ts"] ?? "";
  for (const name of ["subscribe", "upload", "chat", "Subscribe", "Upload", "Chat"]) {
    expect(live).not.toContain(name);
  }
});

test("a service left without methods is absent, and a file left without services is not generated", () => {
  const live = run.files["live/v1/live_nats.ts"] ?? "";
  expect(live).not.toContain("Relay");
  expect(live).not.toContain("Idle");
  expect(Object.keys(run.files)).toEqual(["live/v1/live_nats.ts"]);
});

test.each([
  ["live/v1/live.proto", "server_streaming", "live.v1.Live.Subscribe"],
  ["live/v1/live.proto", "client_streaming", "live.v1.Live.Upload"],
  ["live/v1/live.proto", "bidi_streaming", "live.v1.Live.Chat"],
  ["live/v1/live.proto", "bidi_streaming", "live.v1.Relay.Forward"],
  ["live/v1/stream_only.proto", "server_streaming", "live.v1.Broadcast.Listen"],
])("stderr warns that %s's %s method %s is skipped", (file, kind, method) => {
  expect(run.stderr).toContain(`protoc-gen-nats: warning: ${file}: skipping ${kind} method ${method}: only unary methods are supported\n`);
});

test.each([
  ["live/v1/live.proto", "live.v1.Relay"],
  ["live/v1/live.proto", "live.v1.Idle"],
  ["live/v1/stream_only.proto", "live.v1.Broadcast"],
])("stderr warns that %s's service %s is skipped", (file, service) => {
  expect(run.stderr).toContain(`protoc-gen-nats: warning: ${file}: skipping service ${service}: it has no unary methods\n`);
});

test("unary methods and services with unary methods draw no warning", () => {
  expect(run.stderr).not.toMatch(/Live\.Get|Live\.Put|service live\.v1\.Live:/);
  expect(run.stderr.match(/protoc-gen-nats: warning:/g)).toHaveLength(8);
});
