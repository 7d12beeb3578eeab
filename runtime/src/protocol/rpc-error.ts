import { fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code } from "./code.js";
import type { HeadersInit } from "./headers-init.js";

/**
 * One detail of an error: a protobuf message, as `google.protobuf.Any` holds it. `type` is the
 * message's full name (`buf.validate.Violations`), `value` its binary encoding.
 */
export interface ErrorDetail {
  readonly type: string;
  readonly value: Uint8Array;
}

/**
 * The one error type of an RPC: thrown by handlers to answer with an error, and thrown by clients
 * when a call fails, whatever the cause (an error reply, a timeout, no responders, a bad payload).
 *
 * @example
 * try {
 *   await client.average({ values: [] });
 * } catch (error) {
 *   if (error instanceof RpcError && error.code === Code.InvalidArgument) {
 *     console.log(error.rawMessage);
 *   }
 * }
 */
export class RpcError extends Error {
  override name = "RpcError";
  /** The status code; see {@link Code}. */
  readonly code: Code;
  /** The message without the `[code]` prefix that `message` carries. */
  readonly rawMessage: string;
  /** Headers of the error reply, when the error came from one; empty otherwise. */
  readonly metadata: Headers;
  /**
   * Protobuf messages that tell more of the error (such as `buf.validate.Violations`): sent in
   * the error reply's payload (docs/protocol.md), read back by the client. Empty when there are none.
   */
  readonly details: readonly ErrorDetail[];

  constructor(message: string, code: Code = Code.Unknown, options?: { metadata?: HeadersInit; cause?: unknown; details?: readonly ErrorDetail[] }) {
    super(`[${code}] ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    this.metadata = new Headers(options?.metadata);
    this.details = options?.details ?? [];
  }

  /**
   * The details of one message type, decoded: `error.findDetails(ViolationsSchema)`. Details of
   * other types, and any that cannot be decoded, are left out.
   */
  findDetails<Desc extends DescMessage>(schema: Desc): MessageShape<Desc>[] {
    const found: MessageShape<Desc>[] = [];
    for (const detail of this.details) {
      if (detail.type === schema.typeName) {
        try {
          found.push(fromBinary(schema, detail.value));
        } catch {
          // Not what its type says: skipped, as a detail of an unknown type is.
        }
      }
    }
    return found;
  }

  /**
   * Turns anything that was thrown into an `RpcError`: an `RpcError` is returned as it is, an
   * `Error` keeps its message (but not its stack) under `fallbackCode`.
   */
  static from(reason: unknown, fallbackCode: Code = Code.Unknown): RpcError {
    if (reason instanceof RpcError) {
      return reason;
    }
    if (reason instanceof Error) {
      return new RpcError(reason.message, fallbackCode, { cause: reason });
    }
    return new RpcError(String(reason), fallbackCode, { cause: reason });
  }
}
