// nats-micro-runtime/validation: protovalidate (buf.validate rules) as an interceptor. Its own
// entry point, so that @bufbuild/protovalidate (an optional peer dependency) loads only when used.
import { create, toBinary, type DescMessage, type DescMethod, type Registry } from "@bufbuild/protobuf";
import { createValidator, violationsToProto, type Validator } from "@bufbuild/protovalidate";
import type { Interceptor } from "../interceptors/interceptor.js";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import { readViolations, type FieldViolation } from "../protocol/violations.js";

export type { FieldViolation };

/** `buf.validate.Violations`: the detail a validation error carries. */
export type Violations = ReturnType<typeof violationsToProto>[0];

/**
 * The descriptor of `buf.validate.Violations`, for `error.findDetails(ViolationsSchema)`. Taken
 * from protovalidate's own entry point (its generated code has an entry of its own only from 1.3).
 */
export const ViolationsSchema = violationsToProto([])[1];

/** Options of {@link createValidationInterceptor}. */
export interface ValidationOptions {
  /** Validate responses too: a response that breaks its rules fails the call with `internal`. Default `false`. */
  readonly validateResponses?: boolean;
  /** Types for the rules' `google.protobuf.Any` fields (protovalidate's `registry`). */
  readonly registry?: Registry;
  /** The validator to use, instead of one of its own. */
  readonly validator?: Validator;
}

/**
 * Validates requests with their buf.validate rules, as an interceptor: on a host, before the
 * handler runs (each message of a stream as the handler takes it, which ends the stream); on a
 * client, before the request is sent. A request that breaks its rules fails
 * with `invalid_argument`, whose details (`error.details`) hold the `buf.validate.Violations`
 * (read them with {@link violationsOf}). A host compiles every method's rules when it starts
 * (`createHost` rejects a rule that does not compile, such as bad CEL).
 *
 * @example
 * const host = await serveOrders(nc, handlers, { interceptors: [createValidationInterceptor()] });
 */
export function createValidationInterceptor(options: ValidationOptions = {}): Interceptor {
  const validator = options.validator ?? createValidator(options.registry === undefined ? {} : { registry: options.registry });
  const interceptor: Interceptor = (next) => async (request) => {
    checkMessage(validator, request.method.input, request.message, "request", request.method);
    const response = await next(request);
    if (options.validateResponses === true) {
      checkMessage(validator, request.method.output, response.message, "response", request.method);
    }
    return response;
  };
  // A stream's messages, each as the handler takes it (or as the caller is sent it).
  interceptor.stream = (next) => async (request) => {
    const { method } = request;
    const response = await next({ ...request, message: checkEach(request.message, (message) => checkMessage(validator, method.input, message, "request", method)) });
    if (options.validateResponses !== true) {
      return response;
    }
    return { ...response, message: checkEach(response.message, (message) => checkMessage(validator, method.output, message, "response", method)) };
  };
  interceptor.prepare = (method) => {
    compileRules(validator, method.input, method);
    if (options.validateResponses === true) {
      compileRules(validator, method.output, method);
    }
  };
  return interceptor;
}

async function* checkEach<T>(messages: AsyncIterable<T>, check: (message: T) => void): AsyncGenerator<T, void, undefined> {
  for await (const message of messages) {
    check(message);
    yield message;
  }
}

// Validating an empty message plans the rules of its type: a rule that does not compile shows.
function compileRules(validator: Validator, schema: DescMessage, method: DescMethod): void {
  const result = validator.validate(schema, create(schema));
  if (result.kind === "error") {
    throw new Error(`the validation rules of ${schema.typeName} (method ${method.parent.typeName}.${method.name}) do not compile: ${result.error.message}`, { cause: result.error });
  }
}

function checkMessage(validator: Validator, schema: DescMessage, message: unknown, what: "request" | "response", method: DescMethod): void {
  const result = validator.validate(schema, message as never);
  if (result.kind === "valid") {
    return;
  }
  if (result.kind === "error") {
    throw new RpcError(`cannot validate the ${what} of ${method.name}: ${result.error.message}`, Code.Internal, { cause: result.error });
  }
  const [violations] = violationsToProto(result.violations);
  // "items[0].name: value length must be at least 1 characters; customer: value is required"
  const text = readViolations([{ type: ViolationsSchema.typeName, value: toBinary(ViolationsSchema, violations) }])
    .map(({ field, message }) => (field === "" ? message : `${field}: ${message}`))
    .join("; ");
  if (what === "response") {
    // The host broke its own contract: the caller cannot fix it.
    throw new RpcError(`invalid response of ${method.name}: ${text}`, Code.Internal, { cause: result.error });
  }
  throw new RpcError(`invalid request: ${text}`, Code.InvalidArgument, {
    cause: result.error,
    details: [{ type: ViolationsSchema.typeName, value: toBinary(ViolationsSchema, violations) }],
  });
}

/**
 * The broken rules an error carries (from a host's or a client's validation), one per field and
 * rule: `[{ field: "items[0].name", ruleId: "string.min_len", message: "..." }]`; empty for an
 * error without `buf.validate.Violations` details.
 */
export function violationsOf(error: RpcError): FieldViolation[] {
  return readViolations(error.details);
}
