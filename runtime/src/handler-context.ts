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
 * Creates the context of one call. Headers and the abort controller are made on first use only:
 * most handlers never look at them, and a host answers many thousands of calls a second.
 */
export function createServerCallContext(
  service: DescService,
  method: DescMethod,
  msg: Msg,
  encoding: Encoding,
  deadline: number | undefined,
): ServerCallContext {
  let requestHeader: Headers | undefined;
  let responseHeader: Headers | undefined;
  let controller: AbortController | undefined;
  let abortReason: { reason: unknown } | undefined;
  return {
    service,
    method,
    subject: msg.subject,
    encoding,
    get requestHeader() {
      return (requestHeader ??= toFetchHeaders(msg.headers));
    },
    get responseHeader() {
      return (responseHeader ??= new Headers());
    },
    get signal() {
      if (controller === undefined) {
        controller = new AbortController();
        if (abortReason !== undefined) {
          controller.abort(abortReason.reason);
        }
      }
      return controller.signal;
    },
    timeoutMs() {
      return deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
    },
    abort(reason) {
      abortReason ??= { reason };
      controller?.abort(reason);
    },
    responseHeaderIfUsed() {
      return responseHeader;
    },
  };
}
