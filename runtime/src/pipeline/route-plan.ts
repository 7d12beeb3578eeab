import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { RouteContext, RouteHop } from "../service/route-context.js";
import { checkStopName } from "../service/stop-policy.js";
import type { RouteSlip } from "./route-slip.js";

/**
 * The routing slip of one attempt at a stop, as its handler sees and changes it
 * (`context.route`): the rest of the route starts as the slip says and ends as the handler left
 * it, which is where the message goes next.
 */
export function createRoutePlan(slip: RouteSlip, attempt: number, attempts: number): RouteContext {
  return new RoutePlan(slip, attempt, attempts);
}

// A class rather than an object literal: a literal with a getter and methods is built anew, slowly,
// for every message, where a class shares them.
class RoutePlan implements RouteContext {
  readonly pipeline: string;
  readonly id: string;
  readonly stop: string;
  readonly position: number;
  readonly original: readonly string[];
  readonly replay: number;
  readonly history: readonly RouteHop[];
  #remaining: readonly string[];

  constructor(
    slip: RouteSlip,
    readonly attempt: number,
    readonly attempts: number,
  ) {
    this.pipeline = slip.pipeline;
    this.id = slip.id;
    this.stop = slip.stop;
    this.position = slip.position;
    this.original = Object.freeze([...slip.original]);
    this.replay = slip.replay;
    this.history = Object.freeze([...slip.history]);
    this.#remaining = Object.freeze([...slip.remaining]);
  }

  get remaining(): readonly string[] {
    return this.#remaining;
  }

  replace(stops: readonly string[]): void {
    this.#remaining = Object.freeze([...this.#checked(stops)]);
  }

  insert(...stops: string[]): void {
    this.#remaining = Object.freeze([...this.#checked(stops), ...this.#remaining]);
  }

  skip(stop?: string): boolean {
    const remaining = this.#remaining;
    const index = stop === undefined ? (remaining.length > 0 ? 0 : -1) : remaining.indexOf(stop);
    if (index < 0) {
      return false;
    }
    this.#remaining = Object.freeze([...remaining.slice(0, index), ...remaining.slice(index + 1)]);
    return true;
  }

  #checked(stops: readonly string[]): readonly string[] {
    for (const stop of stops) {
      const problem = checkStopName(stop);
      if (problem !== undefined) {
        throw new RpcError(`route of ${this.id}: ${problem}`, Code.InvalidArgument);
      }
    }
    return stops;
  }
}
