import { constants } from "node:os";
import type { Logger } from "pino";

/** What asked a serving process to stop. */
export type StopReason = "SIGINT" | "SIGTERM";

/** The exit code of a process forced out by a signal: 128 + its number, as shells report it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Resolves when the process is asked to stop: SIGINT or SIGTERM. From then on a second SIGINT or
 * SIGTERM exits at once (after `beforeForcedExit`), for an operator who will not wait for the
 * drain. (A worker whose primary is gone is ended by node itself.)
 *
 * A worker ignores SIGINT: Ctrl-C in a terminal reaches every process of the group, and the
 * primary, which gets it too, tells its workers to stop (SIGTERM) and counts them out.
 */
export function waitForStopRequest(logger: Logger, options: { worker: boolean; beforeForcedExit?: () => void }): Promise<StopReason> {
  return new Promise((resolve) => {
    const signals: NodeJS.Signals[] = options.worker ? ["SIGTERM"] : ["SIGINT", "SIGTERM"];
    if (options.worker) {
      process.on("SIGINT", () => {});
    }
    const requested = (reason: StopReason) => {
      for (const name of signals) {
        process.off(name, onSignal);
        process.on(name, forceExit);
      }
      resolve(reason);
    };
    const onSignal = (signal: NodeJS.Signals) => requested(signal as StopReason);
    const forceExit = (signal: NodeJS.Signals) => {
      logger.warn({ signal }, "second signal: exiting without waiting for requests in flight");
      options.beforeForcedExit?.();
      process.exit(signalExitCode(signal));
    };
    for (const name of signals) {
      process.on(name, onSignal);
    }
  });
}
