import { getOption, type DescFile, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { method as methodOption, service as serviceOption } from "../gen/nats/micro/v1/options_pb.js";
import { checkStopName } from "./stop-policy.js";

/** A pipeline as a service's `pipeline` option declares it (docs/pipelines.md). */
export interface PipelineDeclaration {
  /** The pipeline's name: the generated function is `start<name>`. */
  readonly name: string;
  /** Its default route: stop names, in order. */
  readonly route: readonly string[];
  readonly description: string;
  /** The service that declares it. */
  readonly service: DescService;
}

/** A problem with pipelines and stops, with the service (hence the file) it is reported on. */
export interface PipelineProblem {
  readonly service: DescService;
  readonly message: string;
}

/** Pipeline names: the tail of a function name. */
const pipelineNamePattern = /^[A-Z][A-Za-z0-9]{0,63}$/;

/** The pipelines a service declares, in the order of its option. */
export function pipelinesOf(service: DescService): PipelineDeclaration[] {
  return getOption(service, serviceOption).pipeline.map((pipeline) => ({
    name: pipeline.name,
    route: [...pipeline.route],
    description: pipeline.description,
    service,
  }));
}

/** The stop name of a method with a `stop` option (the method name unless the option names it), else `undefined`. */
export function stopNameOf(method: DescMethod): string | undefined {
  const stop = getOption(method, methodOption).stop;
  return stop === undefined ? undefined : stop.name === "" ? method.name : stop.name;
}

/**
 * The names of the pipelines declared in a service's file, or in the files it imports, whose
 * route goes through stop `name`: what a stop's `$SRV.INFO` metadata lists.
 */
export function pipelinesThrough(name: string, file: DescFile): string[] {
  const names = new Set<string>();
  for (const each of [file, ...file.dependencies]) {
    for (const service of each.services) {
      for (const pipeline of pipelinesOf(service)) {
        if (pipeline.route.includes(name)) {
          names.add(pipeline.name);
        }
      }
    }
  }
  return [...names];
}

/**
 * Checks the pipelines and stops of services generated together, as generation must: every stop
 * name is taken once, every pipeline has a valid name of its own and a route of known, unary stops
 * in which each stop's output type is the next one's input type. One problem per broken rule,
 * naming the pipeline and the stop at fault.
 */
export function checkPipelines(services: readonly DescService[]): PipelineProblem[] {
  const problems: PipelineProblem[] = [];
  const stops = new Map<string, DescMethod>();
  for (const service of services) {
    for (const method of service.methods) {
      const name = stopNameOf(method);
      if (name === undefined || checkStopName(name) !== undefined) {
        continue; // no stop, or one defineService reports
      }
      const other = stops.get(name);
      if (other !== undefined && other !== method) {
        problems.push({ service, message: `method ${service.typeName}.${method.name}: stop name "${name}" is the name of stop ${other.parent.typeName}.${other.name} too` });
      } else {
        stops.set(name, method);
      }
    }
  }
  const declaredBy = new Map<string, DescService>();
  for (const service of services) {
    for (const pipeline of pipelinesOf(service)) {
      const report = (message: string) => problems.push({ service, message: `service ${service.typeName}: pipeline ${pipeline.name === "" ? '""' : pipeline.name}: ${message}` });
      if (!pipelineNamePattern.test(pipeline.name)) {
        report(`the name must be 1 to 64 letters and digits starting with a capital letter (A-Z, then A-Z a-z 0-9), got ${JSON.stringify(pipeline.name)}`);
      }
      const other = declaredBy.get(pipeline.name);
      if (other !== undefined) {
        report(`the name is declared by service ${other.typeName} too`);
      }
      declaredBy.set(pipeline.name, service);
      if (pipeline.route.length === 0) {
        report("the route is empty: name its stops in order");
        continue;
      }
      let previous: DescMethod | undefined;
      for (const [index, stopName] of pipeline.route.entries()) {
        const stop = stops.get(stopName);
        if (stop === undefined) {
          const known = [...stops.keys()].sort();
          report(`stop "${stopName}" (route position ${index + 1}) is no stop: no method has a stop option of that name${known.length === 0 ? "" : ` (stops: ${known.join(", ")})`}`);
          previous = undefined;
          continue;
        }
        if (stop.methodKind !== "unary") {
          report(`stop "${stopName}" is the ${stop.methodKind} method ${stop.parent.typeName}.${stop.name}: stops must be unary`);
        }
        if (previous !== undefined && previous.output.typeName !== stop.input.typeName) {
          report(
            `stop "${stopName}" (route position ${index + 1}) takes ${stop.input.typeName}, but the stop before it, "${pipeline.route[index - 1]}", returns ${previous.output.typeName}`,
          );
        }
        previous = stop;
      }
    }
  }
  return problems;
}
