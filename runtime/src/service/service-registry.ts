import { createRegistry, type DescFile, type DescService, type Registry } from "@bufbuild/protobuf";

/**
 * The types a service's messages can refer to: those of its file and of every file it imports,
 * directly or not. Hosts and clients resolve `google.protobuf.Any` and extensions in JSON with it
 * unless given a registry of their own.
 */
export function serviceRegistry(service: DescService): Registry {
  const files = new Set<DescFile>();
  const visit = (file: DescFile) => {
    if (!files.has(file)) {
      files.add(file);
      file.dependencies.forEach(visit);
    }
  };
  visit(service.file);
  return createRegistry(...files);
}
