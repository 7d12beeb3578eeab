import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { EndpointDefinition } from "../service/service-definition.js";

/**
 * The response message of whatever a handler returned: a message, or a plain object of its
 * fields. Anything else is a bug of the handler: `internal`.
 */
export function responseMessage(definition: EndpointDefinition, result: unknown): MessageShape<DescMessage> {
  const { output } = definition.method;
  if (typeof result !== "object" || result === null) {
    throw new RpcError(`handler for ${definition.name} returned ${result === null ? "null" : typeof result}, not a ${output.typeName}`, Code.Internal);
  }
  return create(output, result as MessageInitShape<DescMessage>);
}
