import {
  AuthorizationError,
  ClosedConnectionError,
  DrainingConnectionError,
  InvalidArgumentError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError,
  type NatsConnection,
} from "@nats-io/nats-core";
import { Code } from "../../protocol/code.js";
import { RpcError } from "../../protocol/rpc-error.js";

/**
 * Whether an error is of one of nats.js's error classes. By class, and by the class's name too:
 * an application that ends up with two copies of the client (two versions side by side in
 * node_modules) has two classes of each, and an error of either must be told apart.
 */
export function isNatsError<T extends Error>(error: unknown, errorClass: abstract new (...args: never[]) => T): error is T {
  // By the constructor's name, not `error.name`: nats.js names some errors otherwise ("NoResponders").
  return error instanceof errorClass || (error instanceof Error && error.constructor.name === errorClass.name);
}

/** Whether the server refused a connection for its credentials: wrong, missing or expired. */
export function isAuthenticationFailure(error: unknown): boolean {
  return isNatsError(error, AuthorizationError) || isNatsError(error, UserAuthenticationExpiredError);
}

/** Whether a failed request found no responders: nats.js v3 says so directly or as a `RequestError`'s cause. */
export function isNoResponders(error: unknown): boolean {
  return isNatsError(error, NoRespondersError) || (isNatsError(error, RequestError) && isNatsError(error.cause, NoRespondersError));
}

/**
 * Turns an error of a request (nats.js v3's error classes) into an `RpcError` that says what
 * happened in the caller's terms.
 */
export function requestError(nc: NatsConnection, reason: unknown, subject: string, timeoutMs: number): RpcError {
  if (reason instanceof RpcError) {
    return reason;
  }
  if (isNoResponders(reason)) {
    return new RpcError(`no service instance is listening on ${subject}`, Code.Unavailable, { cause: reason });
  }
  if (isNatsError(reason, ClosedConnectionError) || isNatsError(reason, DrainingConnectionError) || (isNatsError(reason, TimeoutError) && nc.isClosed())) {
    return new RpcError(`connection closed while waiting for the reply from ${subject}`, Code.Unavailable, { cause: reason });
  }
  if (isNatsError(reason, TimeoutError)) {
    return new RpcError(`no reply from ${subject} within ${timeoutMs} ms`, Code.DeadlineExceeded, { cause: reason });
  }
  if (isNatsError(reason, PermissionViolationError) || isNatsError(reason, AuthorizationError) || isNatsError(reason, UserAuthenticationExpiredError)) {
    return new RpcError(`not permitted to call ${subject}: ${reason.message}`, Code.PermissionDenied, { cause: reason });
  }
  if (isNatsError(reason, InvalidArgumentError)) {
    return new RpcError(`request to ${subject} refused by the NATS client: ${reason.message}`, Code.InvalidArgument, { cause: reason });
  }
  const message = reason instanceof Error ? reason.message : String(reason);
  return new RpcError(`request to ${subject} failed: ${message}`, Code.Unknown, { cause: reason });
}
