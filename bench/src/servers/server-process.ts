import type { ServerCommand, ServerEvent } from "../process-messages.js";

/** A server that is up: where it listens, and how to stop it. */
export interface RunningServer {
  /** What clients connect to: a URL or host:port. */
  address: string;
  stop(): Promise<void>;
}

/**
 * Runs a benchmark server as a child process of the runner: starts it, reports its address over
 * IPC, answers usage questions (CPU, memory) and stops when told to or when the runner goes away.
 */
export async function runServerProcess(start: () => Promise<RunningServer>): Promise<void> {
  const send = (event: ServerEvent) => process.send?.(event);
  if (process.send === undefined) {
    throw new Error("a benchmark server runs as a child of the runner (bench/src/run-benchmarks.ts), with an IPC channel");
  }
  let server: RunningServer;
  try {
    server = await start();
  } catch (error) {
    send({ type: "failed", message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  const stop = async () => {
    await server.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on("message", (command: ServerCommand) => {
    if (command.type === "exit") {
      void stop();
      return;
    }
    // Collecting garbage first (when node runs with --expose-gc) measures what is really kept.
    if (command.collectGarbage) {
      globalThis.gc?.();
    }
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    send({ type: "usage", cpuMs: (cpu.user + cpu.system) / 1_000, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, externalBytes: memory.external });
  });
  // The runner's end is this process's end, even if it could not say so.
  process.on("disconnect", () => void stop());
  send({ type: "ready", address: server.address });
}
