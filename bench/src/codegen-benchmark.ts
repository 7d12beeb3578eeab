import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, CodeGeneratorResponseSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { binPath } from "./bench-paths.js";
import { largeSchemaFiles } from "./large-schema.js";
import { spreadOf, type Spread } from "./statistics.js";

/** The code generation benchmark's figures. */
export interface CodegenBenchmark {
  services: number;
  methods: number;
  files: number;
  requestBytes: number;
  repetitions: number;
  /** Wall time of one plugin run on the request, in milliseconds. */
  protocGenEsMs: Spread;
  protocGenNatsMs: Spread;
  /** Files each plugin wrote (a check that both did the whole job). */
  protocGenEsFiles: number;
  protocGenNatsFiles: number;
  /** protoc-gen-nats's median time / protoc-gen-es's, and the same ratio per repetition. */
  ratio: Spread;
}

const parameter = "target=ts,import_extension=js";
/** Bound of one plugin or buf run. */
const commandTimeoutMs = 300_000;

/**
 * Times the two plugins on the same large schema. The schema is compiled once by `buf build`
 * into an image; the benchmark turns that into one CodeGeneratorRequest (every file to generate,
 * as `strategy: all` does) and feeds it to each plugin on stdin, as protoc would, so that only the
 * plugins are timed, process start included, and not buf's compilation. The runs alternate, and
 * an untimed first run of each warms the file cache.
 */
export async function runCodegenBenchmark(services: number, methodsPerService: number, repetitions: number): Promise<CodegenBenchmark> {
  const directory = await mkdtemp(join(tmpdir(), "bench-codegen-"));
  try {
    const files = largeSchemaFiles({ services, methodsPerService, servicesPerFile: 10 });
    for (const [name, content] of files) {
      await mkdir(dirname(join(directory, "proto", name)), { recursive: true });
      await writeFile(join(directory, "proto", name), content);
    }
    await writeFile(join(directory, "buf.yaml"), "version: v2\nmodules:\n  - path: proto\n");
    const imageFile = join(directory, "image.binpb");
    await runCommand(binPath("buf"), ["build", "-o", imageFile], directory, undefined);
    const image = fromBinary(FileDescriptorSetSchema, await readFile(imageFile));
    const request = toBinary(
      CodeGeneratorRequestSchema,
      create(CodeGeneratorRequestSchema, { fileToGenerate: [...files.keys()], parameter, protoFile: image.file }),
    );
    const timeOnce = async (plugin: string) => {
      const startedAt = performance.now();
      const output = await runCommand(binPath(plugin), [], directory, request);
      const elapsedMs = performance.now() - startedAt;
      const response = fromBinary(CodeGeneratorResponseSchema, output);
      if (response.error !== undefined && response.error !== "") {
        throw new Error(`${plugin} failed on the large schema: ${response.error}`);
      }
      return { elapsedMs, files: response.file.length };
    };
    const es = await timeOnce("protoc-gen-es");
    const nats = await timeOnce("protoc-gen-nats");
    const esMs: number[] = [];
    const natsMs: number[] = [];
    for (let repetition = 0; repetition < repetitions; repetition += 1) {
      esMs.push((await timeOnce("protoc-gen-es")).elapsedMs);
      natsMs.push((await timeOnce("protoc-gen-nats")).elapsedMs);
    }
    return {
      services,
      methods: services * methodsPerService,
      files: files.size,
      requestBytes: request.length,
      repetitions,
      protocGenEsMs: spreadOf(esMs),
      protocGenNatsMs: spreadOf(natsMs),
      protocGenEsFiles: es.files,
      protocGenNatsFiles: nats.files,
      ratio: spreadOf(natsMs.map((value, index) => value / esMs[index]!)),
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

// Runs a command with optional stdin, bounded in time; resolves with its stdout, rejects on failure.
function runCommand(command: string, args: string[], cwd: string, input: Uint8Array | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), commandTimeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve(Buffer.concat(stdout));
      } else {
        reject(new Error(`${command} ${args.join(" ")} ended with ${signal ?? `code ${code}`}:\n${Buffer.concat(stderr).toString()}`));
      }
    });
    child.stdin.end(input);
  });
}
