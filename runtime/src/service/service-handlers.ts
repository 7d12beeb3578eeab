import type { DescMessage, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "./handler-context.js";

/**
 * Serves one unary method: takes the decoded request and returns the response, as a message or
 * as a plain object of its fields. Throw an `RpcError` to answer with an error code; any other
 * error answers `internal`, with the message "internal error" unless the host sets
 * `exposeInternalErrors` (never with its stack).
 */
export type UnaryHandler<Input extends DescMessage, Output extends DescMessage> = (
  request: MessageShape<Input>,
  context: HandlerContext,
) => Promise<MessageInitShape<Output>> | MessageInitShape<Output>;

/**
 * Serves one unary method that is a pipeline stop (docs/pipelines.md): as {@link UnaryHandler},
 * or `undefined` to drop the message (its route ends there).
 */
export type StopHandler<Input extends DescMessage, Output extends DescMessage> = (
  request: MessageShape<Input>,
  context: HandlerContext,
) => Promise<MessageInitShape<Output> | undefined> | MessageInitShape<Output> | undefined;

/** The unary methods of a service, keyed by their local (camelCase) names. */
type UnaryMethods<Service extends DescService> = {
  [Name in keyof Service["method"] as Service["method"][Name] extends { methodKind: "unary" } ? Name : never]: Service["method"][Name];
};

/**
 * One handler per unary method of a service, keyed by the method's local name. The generated
 * `<Service>Handlers` interface is this type with the proto comments on each method; there, only
 * the methods that are pipeline stops may return `undefined` (the descriptor's type does not say
 * which methods are stops, so this type lets any).
 */
export type ServiceHandlers<Service extends DescService> = {
  [Name in keyof UnaryMethods<Service>]: UnaryMethods<Service>[Name] extends { input: infer Input extends DescMessage; output: infer Output extends DescMessage }
    ? UnaryHandler<Input, Output> | StopHandler<Input, Output>
    : never;
};
