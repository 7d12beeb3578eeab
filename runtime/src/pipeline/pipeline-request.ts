import type { RouteContext } from "../service/route-context.js";
import type { JsMsg } from "../transport/nats/jetstream-client.js";
import { JetStreamAttemptRequest } from "../transport/nats/jetstream-attempt-request.js";

/**
 * A pipeline message as the host's one call path sees it: the request of one attempt at a stop,
 * whose handler context has the routing slip (`context.route`). Its reply is kept for the stop
 * runner, which forwards it.
 */
export class PipelineRequest extends JetStreamAttemptRequest {
  readonly route: RouteContext;

  constructor(msg: JsMsg, attemptTimeoutMs: number, stopSignal: AbortSignal, route: RouteContext) {
    super(msg, attemptTimeoutMs, stopSignal);
    this.route = route;
  }
}
