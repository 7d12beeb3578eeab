import { create, createFileRegistry, setExtension, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, MethodOptionsSchema, ServiceOptionsSchema } from "@bufbuild/protobuf/wkt";
import {
  MethodOptionsSchema as NatsMethodOptionsSchema,
  ServiceOptionsSchema as NatsServiceOptionsSchema,
  method as methodOption,
  service as serviceOption,
} from "../gen/nats/micro/v1/options_pb.js";

/** The `nats.micro.v1.service` option of a service, as a proto file would write it. */
export type ServiceOptionInit = MessageInitShape<typeof NatsServiceOptionsSchema>;

/** The `nats.micro.v1.method` option of a method, as a proto file would write it. */
export type MethodOptionInit = MessageInitShape<typeof NatsMethodOptionsSchema>;

/** A unary method of {@link serviceWithOptions}, with its options when it has any. */
export interface MethodSketch {
  readonly name: string;
  readonly option?: MethodOptionInit;
  /** A server-streaming method rather than a unary one. */
  readonly serverStreaming?: boolean;
}

/**
 * A service `opts.v1.<name>` built from a descriptor, as a service loaded at run time without
 * generated code would be, carrying the given `nats.micro.v1` options: the way tests get option
 * values that `buf generate` would refuse. Every method is unary (or server streaming, when its
 * sketch says so) and takes and returns `opts.v1.Item`.
 *
 * @example
 * const service = serviceWithOptions("Books", { name: "my books" }, [{ name: "Post", option: { subject: "a b" } }]);
 */
export function serviceWithOptions(name: string, option: ServiceOptionInit | undefined, methods: readonly MethodSketch[]): DescService {
  const serviceOptions = create(ServiceOptionsSchema);
  if (option !== undefined) {
    setExtension(serviceOptions, serviceOption, create(NatsServiceOptionsSchema, option));
  }
  const file = create(FileDescriptorProtoSchema, {
    name: `opts/v1/${name.toLowerCase()}.proto`,
    package: "opts.v1",
    syntax: "proto3",
    messageType: [{ name: "Item" }],
    service: [
      {
        name,
        options: serviceOptions,
        method: methods.map((method) => {
          const methodOptions = create(MethodOptionsSchema);
          if (method.option !== undefined) {
            setExtension(methodOptions, methodOption, create(NatsMethodOptionsSchema, method.option));
          }
          return { name: method.name, inputType: ".opts.v1.Item", outputType: ".opts.v1.Item", options: methodOptions, serverStreaming: method.serverStreaming === true };
        }),
      },
    ],
  });
  const service = createFileRegistry(file, () => undefined).getService(`opts.v1.${name}`);
  if (service === undefined) {
    throw new Error(`opts.v1.${name} is missing from its registry`);
  }
  return service;
}
