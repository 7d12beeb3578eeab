import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { httpBindings, HttpRuleError, type HttpBinding } from "./http-binding.js";
import { parsePathTemplate } from "./path-template.js";
import { findRouteCollisions, type Route } from "./router.js";

/**
 * What a route leads to: a REST binding of a method, or the method at its Connect path (the Connect
 * protocol's unary form for a unary method; a JSON request and a stream of JSON replies for a
 * server-streaming one).
 */
export type GatewayTarget =
  | { readonly protocol: "rest"; readonly method: DescMethod; readonly binding: HttpBinding }
  | { readonly protocol: "connect"; readonly method: DescMethod };

/**
 * Every route of a gateway for these services: each `google.api.http` binding of a unary or
 * server-streaming method, and every such method at `POST /<package>.<Service>/<Method>` (for unary
 * methods in the Connect protocol, also `GET` for those marked `NO_SIDE_EFFECTS`, so that Connect
 * clients can call any of them). Throws {@link HttpRuleError} for a rule that cannot work and for
 * two routes that take the same requests. Client-streaming and bidirectional methods have no
 * routes: one HTTP/1.1 request cannot stream both ways.
 */
export function gatewayRoutes(services: readonly DescService[]): Route<GatewayTarget>[] {
  const routes: Route<GatewayTarget>[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      if (!isRoutable(method)) {
        continue;
      }
      for (const binding of httpBindings(method)) {
        routes.push({ httpMethod: binding.httpMethod, template: binding.template, value: { protocol: "rest", method, binding } });
      }
      const template = parsePathTemplate(connectPath(method));
      routes.push({ httpMethod: "POST", template, value: { protocol: "connect", method } });
      if (hasConnectGet(method)) {
        routes.push({ httpMethod: "GET", template, value: { protocol: "connect", method } });
      }
    }
  }
  const collisions = findRouteCollisions(routes);
  if (collisions.length > 0) {
    throw new HttpRuleError(collisions.map(([first, second]) => `${describe(first)} and ${describe(second)} take the same requests`).join("; "));
  }
  return routes;
}

/** Whether a gateway serves a method: unary and server-streaming methods are; the others need a stream from the client. */
export function isRoutable(method: DescMethod): boolean {
  return method.methodKind === "unary" || method.methodKind === "server_streaming";
}

/** Whether a method is also served by Connect's unary GET: unary methods marked `NO_SIDE_EFFECTS`. */
export function hasConnectGet(method: DescMethod): boolean {
  return method.methodKind === "unary" && method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
}

/** The Connect protocol's path of a method: `/<package>.<Service>/<Method>`. */
export function connectPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function describe(route: Route<GatewayTarget>): string {
  const { value } = route;
  const where = `${value.method.parent.file.name}.proto: ${value.method.parent.typeName}.${value.method.name}`;
  return value.protocol === "rest" ? `${where} google.api.http rule "${value.binding.description}"` : `${where} (Connect route ${route.httpMethod} ${connectPath(value.method)})`;
}
