import type { Interceptor } from "../interceptors/interceptor.js";
import { onStreamEnd } from "../interceptors/stream-messages.js";
import { okCode, type MethodMetrics } from "../metrics/method-metrics.js";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";

/**
 * Records every call of a method (its outcome and latency, retries included) in its metrics; a
 * stream from its call to its end.
 */
export function metricsInterceptor(methodMetrics: MethodMetrics): Interceptor {
  const codeOf = (reason: unknown) => (reason === undefined ? okCode : reason instanceof RpcError ? reason.code : Code.Unknown);
  const interceptor: Interceptor = (next) => async (request) => {
    const startedAt = process.hrtime.bigint();
    try {
      const response = await next(request);
      methodMetrics.finished(startedAt, okCode);
      return response;
    } catch (reason) {
      methodMetrics.finished(startedAt, codeOf(reason));
      throw reason;
    }
  };
  interceptor.stream = (next) => async (request) => {
    const startedAt = process.hrtime.bigint();
    try {
      const response = await next(request);
      return { ...response, message: onStreamEnd(response.message, (reason) => methodMetrics.finished(startedAt, codeOf(reason))) };
    } catch (reason) {
      methodMetrics.finished(startedAt, codeOf(reason));
      throw reason;
    }
  };
  return interceptor;
}
