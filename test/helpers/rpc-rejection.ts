import { RpcError } from "nats-micro-runtime";

/**
 * Resolves with the `RpcError` a call rejects with. Fails the test when the call succeeds or
 * rejects with anything other than an `RpcError`.
 */
export async function rpcRejection(call: Promise<unknown>): Promise<RpcError> {
  const outcome = await call.then(
    (value: unknown) => new Error(`the call succeeded with ${describe(value)}; an RpcError was expected`),
    (reason: unknown) => reason,
  );
  if (!(outcome instanceof RpcError)) {
    throw outcome;
  }
  return outcome;
}

// A short description of a value, for failure messages: replies can be large.
function describe(value: unknown): string {
  const text = JSON.stringify(value, (_, field: unknown) => (typeof field === "bigint" ? String(field) : field)) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}... (${text.length} characters)` : text;
}
