import { Code } from "./code.js";
import type { HeadersInit } from "./headers-init.js";

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

  constructor(message: string, code: Code = Code.Unknown, options?: { metadata?: HeadersInit; cause?: unknown }) {
    super(`[${code}] ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    this.metadata = new Headers(options?.metadata);
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
