import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { Msg } from "nats";
import type { Encoding } from "./codec.js";
import { toFetchHeaders } from "./fetch-headers.js";

/**
 * What a handler knows of the call it serves, besides the request message.
 *
 * @example
 * async average(request, context) {
 *   const rows = await db.query(sql, { signal: context.signal });
 *   context.responseHeader.set("x-rows", String(rows.length));
 *   ...
 * }
 */
export interface HandlerContext {
  /** The service the method belongs to. */
  readonly service: DescService;
  /** The method being called. */
  readonly method: DescMethod;
  /** The subject the request arrived on. */
  readonly subject: string;
  /** The encoding of the request; the reply uses it too. */
  readonly encoding: Encoding;
  /** The request's headers (names are lower case, as in `fetch`). */
  readonly requestHeader: Headers;
  /** Headers sent with the reply, the error reply included. Set them before the handler returns. */
  readonly responseHeader: Headers;
  /**
   * Aborted when the caller's deadline runs out (the reason is an `RpcError` with code
   * `deadline_exceeded`). Pass it on to whatever the handler waits for. No reply is sent after it.
   */
  readonly signal: AbortSignal;
  /** Milliseconds left before the caller's deadline, or `undefined` when the caller set none. */
  timeoutMs(): number | undefined;
}

/** The host's side of a handler context: it can abort the call and read the reply headers. */
export interface ServerCallContext extends HandlerContext {
  abort(reason: unknown): void;
  /** The reply headers, or `undefined` when the handler never touched them. */
  responseHeaderIfUsed(): Headers | undefined;
}

/**
 * Creates the context of one call. The subject, the headers and the abort controller are made on
 * first use only: most handlers never look at them, and a host answers many thousands of calls a
 * second.
 */
export function createServerCallContext(
  service: DescService,
  method: DescMethod,
  msg: Msg,
  encoding: Encoding,
  deadline: number | undefined,
): ServerCallContext {
  return new CallContext(service, method, msg, encoding, deadline);
}

// A class rather than an object literal with getters and closures: its methods live once on the
// prototype, so a call allocates one small object instead of half a dozen functions.
class CallContext implements ServerCallContext {
  readonly service: DescService;
  readonly method: DescMethod;
  readonly encoding: Encoding;
  readonly #msg: Msg;
  readonly #deadline: number | undefined;
  #requestHeader: Headers | undefined;
  #responseHeader: Headers | undefined;
  #controller: AbortController | undefined;
  #abortReason: { reason: unknown } | undefined;

  constructor(service: DescService, method: DescMethod, msg: Msg, encoding: Encoding, deadline: number | undefined) {
    this.service = service;
    this.method = method;
    this.encoding = encoding;
    this.#msg = msg;
    this.#deadline = deadline;
  }

  get subject(): string {
    // nats.js decodes the subject from the message's bytes on every read.
    return this.#msg.subject;
  }

  get requestHeader(): Headers {
    return (this.#requestHeader ??= toFetchHeaders(this.#msg.headers));
  }

  get responseHeader(): Headers {
    return (this.#responseHeader ??= new Headers());
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) {
        this.#controller.abort(this.#abortReason.reason);
      }
    }
    return this.#controller.signal;
  }

  timeoutMs(): number | undefined {
    return this.#deadline === undefined ? undefined : Math.max(0, this.#deadline - Date.now());
  }

  abort(reason: unknown): void {
    this.#abortReason ??= { reason };
    this.#controller?.abort(reason);
  }

  responseHeaderIfUsed(): Headers | undefined {
    return this.#responseHeader;
  }
}
