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
  let remaining: readonly string[] = Object.freeze([...slip.remaining]);
  const checked = (stops: readonly string[]) => {
    for (const stop of stops) {
      const problem = checkStopName(stop);
      if (problem !== undefined) {
        throw new RpcError(`route of ${slip.id}: ${problem}`, Code.InvalidArgument);
      }
    }
    return stops;
  };
  const history: readonly RouteHop[] = Object.freeze([...slip.history]);
  return {
    pipeline: slip.pipeline,
    id: slip.id,
    stop: slip.stop,
    position: slip.position,
    attempt,
    attempts,
    original: Object.freeze([...slip.original]),
    replay: slip.replay,
    history,
    get remaining() {
      return remaining;
    },
    replace(stops) {
      remaining = Object.freeze([...checked(stops)]);
    },
    insert(...stops) {
      remaining = Object.freeze([...checked(stops), ...remaining]);
    },
    skip(stop) {
      const index = stop === undefined ? (remaining.length > 0 ? 0 : -1) : remaining.indexOf(stop);
      if (index < 0) {
        return false;
      }
      remaining = Object.freeze([...remaining.slice(0, index), ...remaining.slice(index + 1)]);
      return true;
    },
  };
}
