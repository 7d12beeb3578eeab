import { Code } from "../code.js";
import { RpcError } from "../rpc-error.js";

/**
 * The gRPC number of each code. A failed call exits with 64 plus this number, as `grpcurl` does,
 * so that scripts can tell `not_found` (69) from `unavailable` (78) without parsing messages.
 */
const grpcNumbers: Record<Code, number> = {
  [Code.Canceled]: 1,
  [Code.Unknown]: 2,
  [Code.InvalidArgument]: 3,
  [Code.DeadlineExceeded]: 4,
  [Code.NotFound]: 5,
  [Code.AlreadyExists]: 6,
  [Code.PermissionDenied]: 7,
  [Code.ResourceExhausted]: 8,
  [Code.FailedPrecondition]: 9,
  [Code.Aborted]: 10,
  [Code.OutOfRange]: 11,
  [Code.Unimplemented]: 12,
  [Code.Internal]: 13,
  [Code.Unavailable]: 14,
  [Code.DataLoss]: 15,
  [Code.Unauthenticated]: 16,
};

/** Exit codes of the generated command-line tools, other than those of failed calls. */
export const ExitCode = {
  /** Everything worked. */
  Ok: 0,
  /** A failure the tool did not expect: a bug, or an error from outside it. */
  Failure: 1,
  /** The command line was wrong: unknown command or flag, missing argument, request not valid JSON. */
  Usage: 2,
} as const;

/** The exit code for a failure with an RPC code: 64 + the code's gRPC number (65 to 80). */
export function exitCodeOfCode(code: Code): number {
  return 64 + grpcNumbers[code];
}

/** The exit code for anything a command threw: an `RpcError` by its code, anything else {@link ExitCode.Failure}. */
export function exitCodeOf(error: unknown): number {
  return error instanceof RpcError ? exitCodeOfCode(error.code) : ExitCode.Failure;
}

/** The line a tool prints for a failure, after `error: `: the code and message of an `RpcError`, the message of anything else. */
export function describeFailure(error: unknown): string {
  if (error instanceof RpcError) {
    return `${error.code}: ${error.rawMessage}`;
  }
  return error instanceof Error ? error.message : String(error);
}
