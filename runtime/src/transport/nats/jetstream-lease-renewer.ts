import type { JsMsg } from "./jetstream-client.js";

/** Keeps the leases of the messages a worker holds alive, with one timer for all of them. */
export interface LeaseRenewer {
  /** Renews `msg` (`working()`) every third of the lease until the function returned is called. */
  hold(msg: JsMsg): () => void;
  /** Stops renewing anything: for a worker that stops. */
  close(): void;
}

/**
 * A renewer for messages whose consumer's `ack_wait` is `leaseMs`. Why one timer rather than one
 * per message: setting and clearing an interval for every message of a pipeline stop or a job
 * (1-2 % of a stop's profile) pays for a timer that fires only for slow messages. A
 * message held just after a tick is first renewed a third of the lease later, as with a timer of
 * its own.
 */
export function createLeaseRenewer(leaseMs: number): LeaseRenewer {
  const held = new Set<JsMsg>();
  let timer: NodeJS.Timeout | undefined;
  return {
    hold(msg) {
      held.add(msg);
      if (timer === undefined) {
        timer = setInterval(() => {
          for (const each of held) {
            each.working();
          }
        }, Math.max(100, Math.floor(leaseMs / 3)));
        // The worker's connection keeps the process alive, not the renewer.
        timer.unref();
      }
      return () => {
        held.delete(msg);
      };
    },
    close() {
      clearInterval(timer);
      timer = undefined;
      held.clear();
    },
  };
}
