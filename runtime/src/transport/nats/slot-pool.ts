/**
 * A worker's places for running messages (jobs, pipeline stops): `acquire` waits, first come first served, until one is free.
 */
export interface SlotPool {
  acquire(): Promise<void>;
  /** Takes a free place at once if there is one. */
  tryAcquire(): boolean;
  release(): void;
}

/** A pool of `size` places. */
export function createSlotPool(size: number): SlotPool {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    acquire() {
      if (free > 0) {
        free -= 1;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    tryAcquire() {
      if (free > 0) {
        free -= 1;
        return true;
      }
      return false;
    },
    release() {
      const next = waiting.shift();
      if (next === undefined) {
        free += 1;
      } else {
        next();
      }
    },
  };
}
