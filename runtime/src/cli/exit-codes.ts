import { exitCodeFromCode } from "../protocol/code-tables.js";
import { RpcError } from "../protocol/rpc-error.js";
import { readViolations } from "../protocol/violations.js";

/** Exit codes of the generated command-line tools, other than those of failed calls (see `exitCodeFromCode`). */
export const ExitCode = {
  /** Everything worked. */
  Ok: 0,
  /** A failure the tool did not expect: a bug, or an error from outside it. */
  Failure: 1,
  /** The command line was wrong: unknown command or flag, missing argument, request not valid JSON. */
  Usage: 2,
} as const;

/** The exit code for anything a command threw: an `RpcError` by its code, anything else {@link ExitCode.Failure}. */
export function exitCodeOf(error: unknown): number {
  return error instanceof RpcError ? exitCodeFromCode(error.code) : ExitCode.Failure;
}

/**
 * What a tool prints for a failure, after `error: `: the code and message of an `RpcError`, the
 * message of anything else. An error with broken validation rules in its details adds one line
 * per rule: `  <field>: <message> [<rule id>]`.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof RpcError) {
    const violations = readViolations(error.details).map(({ field, ruleId, message }) => `\n  ${field === "" ? "(message)" : field}: ${message} [${ruleId}]`);
    return `${error.code}: ${error.rawMessage}${violations.join("")}`;
  }
  return error instanceof Error ? error.message : String(error);
}
