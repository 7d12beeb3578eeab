import { EventEmitter } from "node:events";

/** Lets a test wait for a condition that handlers make true, without polling or sleeping. */
export interface ChangeWaiter {
  /** Handlers call it whenever they record something. */
  changed(): void;
  /** Resolves once `condition` holds, checked now and after every change; rejects after `timeoutMs`. */
  waitFor(what: string, condition: () => boolean, timeoutMs?: number): Promise<void>;
}

/** A new waiter. */
export function createChangeWaiter(): ChangeWaiter {
  const changes = new EventEmitter();
  // Any number of tests may wait at once.
  changes.setMaxListeners(0);
  return {
    changed: () => changes.emit("change"),
    waitFor(what, condition, timeoutMs = 5_000) {
      if (condition()) {
        return Promise.resolve();
      }
      return new Promise((resolve, reject) => {
        const check = () => {
          if (condition()) {
            stop();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          stop();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const stop = () => {
          clearTimeout(timer);
          changes.off("change", check);
        };
        changes.on("change", check);
      });
    },
  };
}
