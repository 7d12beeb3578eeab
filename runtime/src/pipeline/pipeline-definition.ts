import type { DescMessage } from "@bufbuild/protobuf";

/**
 * A pipeline as its `.proto` declares it (docs/pipelines.md): what the generated
 * `start<Name>()` starts messages on. The plugin has checked that its route's stops exist and
 * chain by type.
 */
export interface PipelineDefinition<Input extends DescMessage = DescMessage, Output extends DescMessage = DescMessage> {
  readonly name: string;
  /** The default route: stop names, in order. */
  readonly route: readonly string[];
  /** The message type of its first stop's input: what a message starts as. */
  readonly input: Input;
  /** The message type of its last stop's output: what an ended route's announcement carries. */
  readonly output: Output;
}

/** A pipeline's definition; generated code calls it, and code without generation may too. */
export function definePipeline<Input extends DescMessage, Output extends DescMessage>(
  name: string,
  route: readonly string[],
  input: Input,
  output: Output,
): PipelineDefinition<Input, Output> {
  if (route.length === 0) {
    throw new Error(`pipeline ${name}: the route is empty`);
  }
  return { name, route: Object.freeze([...route]), input, output };
}
