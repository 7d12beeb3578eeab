import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Client, credentials } from "@grpc/grpc-js";
import { ScoreRequestSchema, ScoreResponseSchema, type ScoreRequest, type ScoreResponse } from "../../gen/bench/v1/bench_pb.js";
import { checkScore, scorePath, scoreRequest } from "../bench-messages.js";
import { requestTimeoutMs, type Caller } from "./caller.js";

const serialize = (value: ScoreRequest) => Buffer.from(toBinary(ScoreRequestSchema, value));
const deserialize = (bytes: Buffer) => fromBinary(ScoreResponseSchema, bytes);

/** A grpc-js unary call on one channel (HTTP/2 multiplexes the calls), with a deadline as the NATS cases have. */
export async function createGrpcCaller(address: string): Promise<Caller> {
  const client = new Client(address, credentials.createInsecure());
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + requestTimeoutMs, (error) => (error === undefined ? resolve() : reject(error))),
  );
  return {
    call() {
      return new Promise<void>((resolve, reject) => {
        client.makeUnaryRequest<ScoreRequest, ScoreResponse>(
          scorePath,
          serialize,
          deserialize,
          scoreRequest(),
          { deadline: Date.now() + requestTimeoutMs },
          (error, reply) => {
            if (error !== null || reply === undefined) {
              reject(error ?? new Error("no reply"));
              return;
            }
            checkScore(reply);
            resolve();
          },
        );
      });
    },
    close: async () => client.close(),
  };
}
