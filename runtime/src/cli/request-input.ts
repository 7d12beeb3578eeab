import { readFile } from "node:fs/promises";
import { fromJsonString, type DescMessage, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";

/** Where `call` takes the request from. */
export interface RequestSource {
  /** The request as JSON, given as the argument; `-` reads standard input. */
  argument?: string;
  /** A file holding the request as JSON; `-` reads standard input. */
  file?: string;
  /** Standard input; `process.stdin` unless given. */
  stdin?: NodeJS.ReadableStream;
}

/** The largest request read from a file or standard input: more is a mistake, not a request. */
const maxInputBytes = 64 * 1024 * 1024;

/**
 * Reads a request message as protobuf JSON from the argument, a file or standard input (`-` as
 * either). Without both, the request is empty (`{}`): standard input is read only when asked for,
 * so that a script whose input stays open never hangs. Field names may be JSON names or proto
 * names, as protobuf JSON allows.
 *
 * A request that is not valid JSON for the message is an `RpcError` with `invalid_argument` that
 * names the message and says what is wrong.
 */
export async function readRequest<Input extends DescMessage>(schema: Input, source: RequestSource, registry?: Registry): Promise<MessageShape<Input>> {
  if (source.argument !== undefined && source.file !== undefined) {
    throw new RpcError("give the request either as an argument or with --file, not both", Code.InvalidArgument);
  }
  let text: string;
  let origin: string;
  if (source.file !== undefined && source.file !== "-") {
    origin = source.file;
    text = await readFile(source.file, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new RpcError(`cannot read request file ${source.file}: ${error.code === "ENOENT" ? "no such file" : error.message}`, Code.InvalidArgument);
    });
  } else if (source.argument === "-" || source.file === "-") {
    origin = "standard input";
    text = await readAll(source.stdin ?? process.stdin);
  } else {
    origin = "the argument";
    text = source.argument ?? "{}";
  }
  if (text.trim() === "") {
    text = "{}";
  }
  try {
    return fromJsonString(schema, text, registry === undefined ? {} : { registry });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RpcError(`request from ${origin} is not a valid ${schema.typeName} in JSON: ${reason}`, Code.InvalidArgument);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > maxInputBytes) {
      throw new RpcError(`request on standard input is larger than ${maxInputBytes} bytes`, Code.InvalidArgument);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
