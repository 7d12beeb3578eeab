import type { WorkerHandlers } from "./gen/metropolis/v1/worker_nats.js";
import { reverseCodePoints } from "./reverse-code-points.js";

/** The Metropolis worker's tasks: what a user writes by hand. Everything else is generated. */
export const workerHandlers: WorkerHandlers = {
  reverse(request) {
    return { data: reverseCodePoints(request.data) };
  },
};
