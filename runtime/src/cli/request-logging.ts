import type { Logger } from "pino";
import type { FinishedRequest } from "../host/host-endpoint.js";
import { Code } from "../protocol/code.js";

// Codes that mean the serving side is at fault: logged as errors, whatever the log level.
const serverFaults: ReadonlySet<string> = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/**
 * The host's request log (its `onRequestFinished`): a request that failed with `internal`,
 * `unknown` or `data_loss` (or with something that is no `RpcError`: a bug) is logged as an
 * error, with the stack of what was thrown, which stays in the log and never reaches the caller.
 * At `debug`, every request is logged with its method, code and duration, also those that failed
 * before their handler ran (a bad payload, a concurrency limit, a reply that could not be sent).
 */
export function requestLogger(logger: Logger): (request: FinishedRequest) => void {
  const logEveryRequest = logger.isLevelEnabled("debug");
  return ({ method, code, durationMs, error }) => {
    const rounded = Math.round(durationMs * 1_000) / 1_000;
    if (error !== undefined && serverFaults.has(code)) {
      logger.error({ method, code, durationMs: rounded, err: error.cause ?? error }, "request failed");
    } else if (logEveryRequest) {
      logger.debug({ method, code, durationMs: rounded, ...(error === undefined ? {} : { error: error.rawMessage }) }, "request");
    }
  };
}
