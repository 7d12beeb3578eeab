import { readFileSync } from "node:fs";
import { processCpuMs } from "../process-cpu.js";

/**
 * CPU time (user + system, milliseconds) of a process and of its descendants alive now, from
 * `/proc` (Linux): a `--workers N` command is a primary and N cluster workers, and the work is
 * in the workers. A process that is gone is counted as 0.
 */
export function processTreeCpuMs(pid: number): number {
  let total = 0;
  for (const current of [pid, ...descendantPids(pid)]) {
    try {
      total += processCpuMs(current);
    } catch {
      // Exited between the listing and the reading.
    }
  }
  return total;
}

/** The processes a process started, and theirs, alive now (from `/proc`). */
export function descendantPids(pid: number): number[] {
  const found: number[] = [];
  const pending = [pid];
  // A tree of a few processes; the bound only guards against a /proc that loops.
  while (pending.length > 0 && found.length < 1_000) {
    const current = pending.pop()!;
    try {
      const children = childrenOf(current);
      found.push(...children);
      pending.push(...children);
    } catch {
      // Gone already.
    }
  }
  return found;
}

function childrenOf(pid: number): number[] {
  // Children are listed per thread; the main thread's list holds those it forked.
  return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
    .split(" ")
    .filter((text) => text !== "")
    .map(Number);
}

/** Busy and total jiffies of the whole machine (every core), from the `cpu` line of `/proc/stat`. */
export interface MachineTicks {
  busy: number;
  total: number;
}

/** Reads {@link MachineTicks} now: the share of the machine in use between two readings includes other people's work. */
export function machineTicks(): MachineTicks {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: idle and iowait are the time not used.
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** The share (0 to 1) of the machine's CPU time that was busy between two readings. */
export function busyShare(before: MachineTicks, after: MachineTicks): number {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : Number.NaN;
}
