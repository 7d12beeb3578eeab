import type { Encoding } from "./codec.js";
import type { RpcError } from "./rpc-error.js";

/** What a handler context is made from: where the request arrived, and its headers. */
export interface CallOrigin {
  /** The subject the request arrived on (or the name of the entry point it came through). */
  readonly subject: string;
  /** All request headers; called at most once, on first use. */
  headers(): Headers;
  /** Aborts the call's signal when the entry point gives up on it (a job worker that stops); none for a NATS request. */
  readonly signal?: AbortSignal;
}

/**
 * A request as it arrived, whatever the transport (a NATS message, an HTTP request, a job), and
 * the way to answer it. Each transport implements it once; the host's one call path serves it.
 */
export interface IncomingRequest extends CallOrigin {
  readonly payload: Uint8Array;
  /** One request header, its name matched in any case; `""` when absent. */
  header(name: string): string;
  /** Sends the reply back the way the request came. Never throws. */
  send(reply: UnaryReply): SendResult;
}

/** A reply to send: a message, or an error (with an empty payload and the error in its headers). */
export interface UnaryReply {
  readonly payload: Uint8Array;
  /** The reply's headers; `undefined` for a binary success reply without any. */
  readonly header: Headers | undefined;
  readonly encoding: Encoding;
  /** The error the reply carries; `undefined` for a success. */
  readonly error: RpcError | undefined;
}

/**
 * What became of a reply: `true` once sent (or when the request asked for no reply), `false` when
 * it could not be sent (the connection is closed), or the `RpcError` that the transport sent
 * instead (say, for a reply too large for it).
 */
export type SendResult = boolean | RpcError;
