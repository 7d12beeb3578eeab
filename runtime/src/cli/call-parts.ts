import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import type { Command } from "commander";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { EndpointDefinition, ServiceDefinition } from "../service/service-definition.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";

// What the subcommands of `call` share, unary and streaming alike: the program around them, the
// header flags, and what `--help` says of a method.

/** What the `call` command needs from the program around it. */
export interface CallCommandContext {
  readonly definition: ServiceDefinition;
  /** Proto comments of the methods by local name, for `--help`. */
  readonly methodComments: Readonly<Record<string, string | undefined>>;
  /** Connects with the program's connection flags. */
  connect(command: Command): Promise<NatsConnection>;
  /** Where the reply goes: standard output. */
  write(text: string): void;
}

/** Collects the values of a repeatable flag. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** "Name: value" pairs as `Headers`; a header without a colon is a mistake worth naming. */
export function parseHeaders(pairs: readonly string[]): Headers {
  const headers = new Headers();
  for (const pair of pairs) {
    const colon = pair.indexOf(":");
    if (colon <= 0) {
      throw new RpcError(`header "${pair}" must look like "Name: value"`, Code.InvalidArgument);
    }
    try {
      headers.append(pair.slice(0, colon).trim(), pair.slice(colon + 1).trim());
    } catch (error) {
      throw new RpcError(`header "${pair}" is not valid: ${(error as Error).message}`, Code.InvalidArgument);
    }
  }
  return headers;
}

/** What `call <method> --help` says of a method: its comment, subject, request fields and reply type. */
export function methodDescription(endpoint: Pick<EndpointDefinition, "method" | "subject">, comment: string | undefined): string {
  const { method } = endpoint;
  const parts = [comment?.trim() ?? `Calls ${method.parent.typeName}.${method.name}.`];
  parts.push(`Subject: ${endpoint.subject}`);
  parts.push(`Request: ${method.input.typeName}${fieldList(method.input)}`);
  parts.push(`Reply: ${method.output.typeName}`);
  return parts.join("\n\n");
}

// The fields of a message as its JSON takes them, so that a request can be written from --help alone.
function fieldList(message: DescMessage): string {
  if (message.fields.length === 0) {
    return " (no fields: {})";
  }
  const width = Math.max(...message.fields.map((field) => field.jsonName.length));
  return `\n${message.fields.map((field) => `  ${field.jsonName.padEnd(width)}  ${fieldType(field)}`).join("\n")}`;
}

function fieldType(field: DescField): string {
  switch (field.fieldKind) {
    case "scalar":
      return scalarName(field.scalar);
    case "enum":
      return `enum ${field.enum.typeName}`;
    case "message":
      return field.message.typeName;
    case "list":
      return `repeated ${field.listKind === "scalar" ? scalarName(field.scalar) : field.listKind === "enum" ? field.enum.typeName : field.message.typeName}`;
    case "map":
      return `map<${scalarName(field.mapKey)}, ${field.mapKind === "scalar" ? scalarName(field.scalar) : field.mapKind === "enum" ? field.enum.typeName : field.message.typeName}>`;
  }
}

// The proto spelling of a scalar type: ScalarType.FLOAT is "float".
function scalarName(scalar: ScalarType): string {
  return ScalarType[scalar].toLowerCase();
}

/** The first line of a comment, if it has one. */
export function firstLine(comment: string | undefined): string | undefined {
  const line = comment?.trim().split("\n", 1)[0]?.trim();
  return line === undefined || line === "" ? undefined : line;
}
