import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A nats-server of the benchmark's own. */
export interface BenchNatsServer {
  readonly url: string;
  readonly pid: number;
  readonly version: string;
  stop(): Promise<void>;
}

const startTimeoutMs = 10_000;

/** Options of {@link startBenchNatsServer}. */
export interface BenchNatsServerOptions {
  /** JetStream on, its store in the server's temporary directory (removed when it stops). */
  jetStream?: boolean;
}

/**
 * Starts `nats-server` on 127.0.0.1 on a port the system picks, with a configuration file of its
 * own (no logging to slow it down), and resolves once it listens.
 */
export async function startBenchNatsServer(options: BenchNatsServerOptions = {}): Promise<BenchNatsServer> {
  const directory = await mkdtemp(join(tmpdir(), "bench-nats-"));
  const configFile = join(directory, "nats.conf");
  const jetStream = options.jetStream === true ? `jetstream {\n  store_dir: ${JSON.stringify(join(directory, "jetstream"))}\n}\n` : "";
  await writeFile(configFile, `listen: "127.0.0.1:-1"\n${jetStream}`);
  const server = spawn("nats-server", ["-c", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  const stop = async () => {
    await stopChild(server);
    await rm(directory, { recursive: true, force: true });
  };
  try {
    const { port, version } = await listening(server);
    return { url: `nats://127.0.0.1:${port}`, pid: server.pid!, version, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// Reads the server's log until it names its version and client port.
function listening(server: ChildProcess): Promise<{ port: number; version: string }> {
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`nats-server did not start within ${startTimeoutMs} ms:\n${log}`)), startTimeoutMs);
    server.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run nats-server (make install installs it): ${error.message}`));
    });
    server.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with code ${code}:\n${log}`));
    });
    server.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const port = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
      if (port !== null) {
        clearTimeout(timer);
        server.stderr!.removeAllListeners("data");
        server.stderr!.resume();
        resolve({ port: Number(port[1]), version: /Version:\s+(\S+)/.exec(log)?.[1] ?? "unknown" });
      }
    });
  });
}

/** Stops a child: SIGTERM, then SIGKILL if it has not gone within a few seconds. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const killTimer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(killTimer);
}
