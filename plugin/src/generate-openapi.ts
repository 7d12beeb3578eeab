import type { DescFile } from "@bufbuild/protobuf";
import { getComments, type Schema } from "@bufbuild/protoplugin";
import { gatewayRoutes, httpBindings, HttpRuleError, openApiDocument, type DescribedElement } from "nats-micro-runtime/gateway/rules";
import type { ServiceDefinition } from "nats-micro-runtime/service";
import type { PluginOptions } from "./plugin-options.js";

/**
 * The problems of a file's `google.api.http` rules, as the gateway would find them when it
 * starts: rules that cannot work and routes that take the same requests, one line each, naming the
 * file, the method and the rule. None for a file without rules.
 */
export function httpRuleProblems(file: DescFile): string[] {
  // Every method on its own first, so that each bad rule is named, then the routes together.
  // The gateway routes unary and server-streaming methods (docs/gateway.md, "Streaming").
  const routed = (kind: string) => kind === "unary" || kind === "server_streaming";
  const problems = file.services.flatMap((service) => service.methods.filter((method) => routed(method.methodKind)).flatMap((method) => ruleProblems(() => httpBindings(method))));
  return problems.length > 0 ? problems : ruleProblems(() => gatewayRoutes(file.services));
}

function ruleProblems(check: () => unknown): string[] {
  try {
    check();
    return [];
  } catch (error) {
    if (error instanceof HttpRuleError) {
      return error.message.split("; ");
    }
    throw error;
  }
}

/**
 * Writes `<name>.openapi.json` for a file's services: the OpenAPI 3.1 document of their REST and
 * Connect routes, with the proto comments as descriptions. `definitions` are the file's services
 * as the runtime defines them; the document's version is theirs when they agree.
 */
export function generateOpenApi(schema: Schema<PluginOptions>, file: DescFile, definitions: readonly ServiceDefinition[]): void {
  const versions = new Set(definitions.map((definition) => definition.version));
  const [version] = versions;
  const document = openApiDocument(
    definitions.map((definition) => definition.service),
    { description: protoComment, jsonNames: schema.options.openapiJsonNames, ...(versions.size === 1 && version !== undefined ? { version } : {}) },
  );
  const f = schema.generateFile(`${file.name}.openapi.json`);
  f.print(JSON.stringify(document, null, 2));
}

// The element's leading comment, else its trailing one (as fields often have), each line without
// the space after `//`.
function protoComment(element: DescribedElement): string | undefined {
  const comments = getComments(element);
  const text = (comments.leading ?? comments.trailing)
    ?.split("\n")
    .map((line) => (line.startsWith(" ") ? line.substring(1) : line))
    .join("\n")
    .trim();
  return text === "" ? undefined : text;
}
