import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";

/** Whether a handler returned a promise (or another thenable) rather than its reply. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Waits for a handler's promise, or for its deadline: after `timeoutMs` it calls `onExpire` with a
 * `deadline_exceeded` error (so that the handler's signal can be aborted) and rejects with it.
 *
 * One promise and one timer, rather than `Promise.race` with a deadline promise: the reply is
 * ready a microtask sooner, so that more replies of a busy host share a socket write.
 *
 * @example
 * const result = await untilDeadline(handler(request, context), 5_000, (error) => context.abort(error));
 */
export function untilDeadline<T>(work: PromiseLike<T>, timeoutMs: number, onExpire: (error: RpcError) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new RpcError(`deadline of ${timeoutMs} ms exceeded`, Code.DeadlineExceeded);
      onExpire(error);
      reject(error);
    }, timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (reason: unknown) => {
        clearTimeout(timer);
        reject(reason);
      },
    );
  });
}
