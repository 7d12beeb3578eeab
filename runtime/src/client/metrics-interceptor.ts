import type { Interceptor } from "../interceptors/interceptor.js";
import { okCode, type MethodMetrics } from "../metrics/method-metrics.js";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";

/** Records every call of a method (its outcome and latency, retries included) in its metrics. */
export function metricsInterceptor(methodMetrics: MethodMetrics): Interceptor {
  return (next) => async (request) => {
    const startedAt = process.hrtime.bigint();
    try {
      const response = await next(request);
      methodMetrics.finished(startedAt, okCode);
      return response;
    } catch (reason) {
      methodMetrics.finished(startedAt, reason instanceof RpcError ? reason.code : Code.Unknown);
      throw reason;
    }
  };
}
