import type { Interceptor } from "../interceptors/interceptor.js";
import type { ClientRequest } from "./intercepted-call.js";
import { isRetryOff } from "./intercepted-call.js";
import { callWithRetry, type ResolvedRetryPolicy } from "./retry-policy.js";

/**
 * The client's retries as an interceptor, the innermost one: each attempt passes the request on
 * with the time left of the call's deadline. A call made with `retry: false` is made once.
 */
export function retryInterceptor(policy: ResolvedRetryPolicy, isClosed: () => boolean, onRetry: (() => void) | undefined): Interceptor {
  return (next) => (request: ClientRequest) => {
    const timeoutMs = request.timeoutMs();
    if (isRetryOff(request) || timeoutMs === undefined) {
      return next(request);
    }
    return callWithRetry((attemptTimeoutMs) => next({ ...request, timeoutMs: () => attemptTimeoutMs }), policy, {
      timeoutMs,
      signal: request.signal,
      isClosed,
      onRetry,
    });
  };
}
