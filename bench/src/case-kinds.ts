import type { Encoding } from "nats-micro-runtime";
import type { NatsClientSettings } from "./process-messages.js";

/** The server programs, one per transport; each runs as its own process. */
export type ServerKind = "raw" | "raw-v2" | "generated" | "grpc" | "http";

/** One way of calling the service that the benchmark measures. */
export interface CaseKind {
  /** Short name, used in tables and on the command line. */
  readonly name: string;
  /** What it is, for the report. */
  readonly description: string;
  /** The server it calls. */
  readonly server: ServerKind;
  /** The load client's NATS connection settings; absent for gRPC and HTTP. */
  readonly nats?: NatsClientSettings;
  /** The generated client's encoding; only for the generated server. */
  readonly encoding?: Encoding;
}

/**
 * Every case, in the order they run within a repetition. Raw and generated run with nats.js's
 * default connection options and again with `noAsyncTraces: true`, so that each generated case
 * has a raw case with exactly its connection options to be compared with. Everything runs on
 * nats.js v3 (`@nats-io/*`, what the runtime uses) except the `raw-v2` cases, whose client and
 * server use the `nats` 2.x package: v2 against v3 in the same run.
 */
export const caseKinds: readonly CaseKind[] = [
  { name: "raw", description: "nats.js v3 nc.request to a queue subscription answering with msg.respond (fixed bytes)", server: "raw", nats: { noAsyncTraces: false } },
  { name: "generated", description: "generated client to generated host, protobuf binary", server: "generated", nats: { noAsyncTraces: false }, encoding: "binary" },
  { name: "generated-json", description: "generated client to generated host, JSON", server: "generated", nats: { noAsyncTraces: false }, encoding: "json" },
  { name: "raw-no-traces", description: "as raw, client connected with noAsyncTraces: true", server: "raw", nats: { noAsyncTraces: true } },
  { name: "generated-no-traces", description: "as generated, client connected with noAsyncTraces: true", server: "generated", nats: { noAsyncTraces: true }, encoding: "binary" },
  { name: "raw-v2", description: "as raw, client and server on nats.js v2 (the nats 2.x package)", server: "raw-v2", nats: { noAsyncTraces: false } },
  { name: "raw-v2-no-traces", description: "as raw-v2, client connected with noAsyncTraces: true", server: "raw-v2", nats: { noAsyncTraces: true } },
  { name: "grpc", description: "@grpc/grpc-js unary, protobuf-es serializers, one channel", server: "grpc" },
  { name: "http", description: "fastify JSON endpoint, undici keep-alive pool", server: "http" },
];

/** The case of a name, or an error that lists the names there are. */
export function caseKindNamed(name: string): CaseKind {
  const kind = caseKinds.find((candidate) => candidate.name === name);
  if (kind === undefined) {
    throw new Error(`unknown case "${name}": use one of ${caseKinds.map((candidate) => candidate.name).join(", ")}`);
  }
  return kind;
}
