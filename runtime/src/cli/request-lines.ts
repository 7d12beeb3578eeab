import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { fromJsonString, type DescMessage, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";

/** Where `call` takes the requests of a stream from: a file, or `-` for standard input. */
export interface RequestLinesSource {
  readonly file: string;
  /** Standard input; `process.stdin` unless given. */
  readonly stdin?: NodeJS.ReadableStream;
}

/**
 * The requests of a client-streaming or bidirectional call, one protobuf JSON object per line
 * (blank lines skipped), read as the stream takes them: standard input may be a pipe that never
 * ends. A line that is not valid JSON for the message is an `RpcError` with `invalid_argument`
 * that names the line and the message.
 *
 * @example
 * for await (const request of readRequestLines(Item, { file: "-" })) { ... }
 */
export async function* readRequestLines<Input extends DescMessage>(schema: Input, source: RequestLinesSource, registry?: Registry): AsyncGenerator<MessageShape<Input>, void, undefined> {
  const origin = source.file === "-" ? "standard input" : source.file;
  const input =
    source.file === "-"
      ? (source.stdin ?? process.stdin)
      : createReadStream(source.file, "utf8").on("error", () => {
          // Reported by the line reader below.
        });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  try {
    for await (const line of lines) {
      number += 1;
      if (line.trim() === "") {
        continue;
      }
      try {
        yield fromJsonString(schema, line, registry === undefined ? {} : { registry });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new RpcError(`line ${number} of ${origin} is not a valid ${schema.typeName} in JSON: ${reason}`, Code.InvalidArgument);
      }
    }
  } catch (error) {
    if (error instanceof RpcError) {
      throw error;
    }
    const code = (error as NodeJS.ErrnoException).code;
    throw new RpcError(`cannot read the requests from ${origin}: ${code === "ENOENT" ? "no such file" : error instanceof Error ? error.message : String(error)}`, Code.InvalidArgument);
  } finally {
    lines.close();
  }
}
