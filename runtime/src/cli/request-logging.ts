import type { DescService } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { Code } from "../protocol/code.js";
import { isPromiseLike } from "../host/handler-deadline.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { ServiceDefinition } from "../service/service-definition.js";
import type { ServiceHandlers, UnaryHandler } from "../service/service-handlers.js";

// Codes that mean the serving side is at fault: logged as errors, whatever the log level.
const serverFaults: ReadonlySet<Code> = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

type AnyUnaryHandler = UnaryHandler<never, never>;

/**
 * Wraps handlers so that a request the handler fails with `internal`, `unknown` or `data_loss`
 * (or with an error that is no `RpcError`: a bug) is logged as an error, with its stack, which
 * stays in the log and never reaches the caller. At `debug`, every request is logged with its
 * method, outcome and duration.
 */
export function withRequestLogging<Service extends DescService>(
  handlers: ServiceHandlers<Service>,
  definition: ServiceDefinition,
  logger: Logger,
): ServiceHandlers<Service> {
  const logEveryRequest = logger.isLevelEnabled("debug");
  const logged: Record<string, AnyUnaryHandler> = { ...(handlers as unknown as Record<string, AnyUnaryHandler>) };
  for (const endpoint of definition.endpoints) {
    const handler = logged[endpoint.method.localName];
    if (handler === undefined) {
      continue;
    }
    const method = endpoint.name;
    // Not an async function: a handler that replies at once keeps replying in the same turn
    // (createHost sends such replies without awaiting), and a quiet log costs one clock read.
    logged[endpoint.method.localName] = (request, context) => {
      const startedAt = performance.now();
      const succeeded = <T>(reply: T): T => {
        if (logEveryRequest) {
          logger.debug({ method, code: "ok", durationMs: elapsedMs(startedAt) }, "request");
        }
        return reply;
      };
      const failed = (error: unknown): never => {
        const code = error instanceof RpcError ? error.code : Code.Internal;
        if (serverFaults.has(code)) {
          logger.error({ method, code, durationMs: elapsedMs(startedAt), err: error }, "request failed");
        } else if (logEveryRequest) {
          logger.debug({ method, code, durationMs: elapsedMs(startedAt), error: error instanceof RpcError ? error.rawMessage : String(error) }, "request");
        }
        throw error;
      };
      try {
        // Called on the user's object, as createHost calls handlers: methods may use `this`.
        const reply = handler.call(handlers, request, context);
        return isPromiseLike(reply) ? Promise.resolve(reply).then(succeeded, failed) : succeeded(reply);
      } catch (error) {
        return failed(error);
      }
    };
  }
  return logged as unknown as ServiceHandlers<Service>;
}

function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1_000) / 1_000;
}
