/** How large a schema to write. */
export interface LargeSchemaShape {
  services: number;
  methodsPerService: number;
  /** Services per .proto file. */
  servicesPerFile: number;
}

/**
 * Writes the text of a large schema: `services` services of `methodsPerService` unary methods
 * each, every method with a request and a response message of its own (a few scalar, repeated and
 * message fields), spread over files of `servicesPerFile` services. Returns file name → content.
 */
export function largeSchemaFiles(shape: LargeSchemaShape): Map<string, string> {
  const files = new Map<string, string>();
  for (let first = 0; first < shape.services; first += shape.servicesPerFile) {
    const fileIndex = first / shape.servicesPerFile;
    const lines = ["syntax = \"proto3\";", "", `package large.v1.part${fileIndex};`, ""];
    for (let service = first; service < Math.min(shape.services, first + shape.servicesPerFile); service += 1) {
      lines.push(`// Service${service} is one of many generated services.`, `service Service${service} {`);
      for (let method = 0; method < shape.methodsPerService; method += 1) {
        const name = `S${service}M${method}`;
        lines.push(`  // ${name} is a unary method.`, `  rpc Call${method}(${name}Request) returns (${name}Response);`);
      }
      lines.push("}", "");
      for (let method = 0; method < shape.methodsPerService; method += 1) {
        const name = `S${service}M${method}`;
        lines.push(
          `// ${name}Request is a request.`,
          `message ${name}Request {`,
          "  string id = 1;",
          "  repeated float values = 2;",
          "  int64 version = 3;",
          "  map<string, string> labels = 4;",
          "}",
          "",
          `// ${name}Response is a response.`,
          `message ${name}Response {`,
          "  string id = 1;",
          "  double result = 2;",
          `  ${name}Request echo = 3;`,
          "}",
          "",
        );
      }
    }
    files.set(`large/v1/part${fileIndex}.proto`, lines.join("\n"));
  }
  return files;
}
