import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";

/** The longest timeout a host honours, in milliseconds: the largest delay a Node.js timer can wait. */
export const maxTimeoutMs = 2_147_483_647;

/**
 * Reads the `Nats-Rpc-Timeout-Ms` header: whole milliseconds, relative to when the request
 * arrives. Returns `undefined` when the header is absent; throws `INVALID_ARGUMENT` when it is not
 * a whole number. A timeout beyond {@link maxTimeoutMs} is shortened to it.
 */
export function parseTimeoutHeader(value: string): number | undefined {
  const trimmed = value.trim();
  if (trimmed === "") {
    return undefined;
  }
  if (!/^\d{1,16}$/.test(trimmed)) {
    throw new RpcError(`invalid timeout header "${value}": expected whole milliseconds, such as 5000`, Code.InvalidArgument);
  }
  return Math.min(Number(trimmed), maxTimeoutMs);
}
