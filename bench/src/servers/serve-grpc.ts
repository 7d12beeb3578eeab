// The gRPC server: @grpc/grpc-js unary, with the protobuf-es messages and serializers.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { ScoreRequestSchema, ScoreResponseSchema, type ScoreRequest, type ScoreResponse } from "../../gen/bench/v1/bench_pb.js";
import { score, scorePath } from "../bench-messages.js";
import { runServerProcess } from "./server-process.js";

const service: ServiceDefinition = {
  score: {
    path: scorePath,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: ScoreRequest) => Buffer.from(toBinary(ScoreRequestSchema, value)),
    requestDeserialize: (bytes: Buffer) => fromBinary(ScoreRequestSchema, bytes),
    responseSerialize: (value: ScoreResponse) => Buffer.from(toBinary(ScoreResponseSchema, value)),
    responseDeserialize: (bytes: Buffer) => fromBinary(ScoreResponseSchema, bytes),
  },
};

const implementation: UntypedServiceImplementation = {
  score: (call: { request: ScoreRequest }, callback: (error: null, reply: ScoreResponse) => void) => {
    callback(null, create(ScoreResponseSchema, score(call.request)));
  },
};

await runServerProcess(async () => {
  const server = new Server();
  server.addService(service, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, boundPort) => (error === null ? resolve(boundPort) : reject(error))),
  );
  return {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
});
