import type { CaseKind } from "../case-kinds.js";
import type { Caller } from "./caller.js";
import { createGeneratedCaller } from "./generated-caller.js";
import { createGrpcCaller } from "./grpc-caller.js";
import { createHttpCaller } from "./http-caller.js";
import { createRawCaller } from "./raw-caller.js";

/** The caller of a case, connected to its server's address. */
export function createCaller(kind: CaseKind, address: string): Promise<Caller> {
  switch (kind.server) {
    case "raw":
      return createRawCaller(address, kind.nats ?? { noAsyncTraces: false }, "v3");
    case "raw-v2":
      return createRawCaller(address, kind.nats ?? { noAsyncTraces: false }, "v2");
    case "generated":
      return createGeneratedCaller(address, kind.nats ?? { noAsyncTraces: false }, kind.encoding ?? "binary");
    case "grpc":
      return createGrpcCaller(address);
    case "http":
      return createHttpCaller(address);
  }
}
