import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { freePort } from "./free-port.js";

/** The ports a nats-server process listens on; the ones its configuration does not ask for are absent. */
export interface NatsPorts {
  client: number;
  /** Route connections of a cluster. */
  cluster?: number;
  /** Incoming leaf node connections (a hub). */
  leaf?: number;
  /** The HTTP monitoring endpoint (`/varz`, `/routez`, `/leafz`, ...). */
  monitor: number;
}

/** What a nats-server process is configured with, besides its ports. */
export interface NatsProcessOptions {
  /** The server's name (`server_name`); clusters need one per member. */
  name: string;
  /**
   * Makes the server a cluster member: the cluster's name, the route URLs of other members (its
   * own may be among them: the server skips it), and the route port when it must be known
   * before the start (one the system picks unless set).
   */
  cluster?: { name: string; routes: readonly string[]; port?: number };
  /** Accepts leaf node connections (a hub). */
  acceptLeafNodes?: boolean;
  /** Connects as a leaf node to these hub URLs (`nats-leaf://127.0.0.1:<port>`). */
  leafRemotes?: readonly string[];
  /** Enables JetStream, with its store in the process's temporary directory (kept across restarts, removed by `stop`). */
  jetStream?: boolean;
  /** More configuration, appended as it is. */
  config?: string;
}

/**
 * A real nats-server process on 127.0.0.1 that a test can kill and start again on the same ports,
 * as an operator restarting a server would.
 */
export interface NatsProcess {
  readonly name: string;
  /** `nats://127.0.0.1:<client port>` */
  readonly url: string;
  readonly ports: Readonly<NatsPorts>;
  /** `nats-route://127.0.0.1:<cluster port>`, for the routes of other members. */
  readonly routeUrl: string;
  /** `nats-leaf://127.0.0.1:<leaf port>`, for the remotes of leaf nodes. */
  readonly leafUrl: string;
  /** Whether the process is running. */
  running(): boolean;
  /** Ends the process at once with SIGKILL, as a crash would; its files stay for {@link start}. */
  kill(): Promise<void>;
  /** Stops the process gracefully with SIGTERM (SIGKILL after a few seconds). */
  shutdown(): Promise<void>;
  /** Starts the process again, on the same ports, after {@link kill} or {@link shutdown}. */
  start(): Promise<void>;
  /** Reads a monitoring endpoint such as `/routez` as JSON. */
  monitor<T>(path: string): Promise<T>;
  /** Stops the process and removes its files. */
  stop(): Promise<void>;
}

/** How long a server may take to say that it is ready. */
const startTimeoutMs = 10_000;

/**
 * Starts a nats-server with a configuration of its own, on ports the operating system picks
 * (`-1`); once they are known they are kept, so that {@link NatsProcess.start} restarts the
 * server where its clients and peers expect it.
 */
export async function startNatsProcess(options: NatsProcessOptions): Promise<NatsProcess> {
  const directory = await mkdtemp(join(tmpdir(), `nats-${options.name}-`));
  const configFile = join(directory, "nats.conf");
  let ports: NatsPorts | undefined;
  let child: ChildProcess | undefined;

  const launch = async () => {
    await writeFile(configFile, configText(options, ports, directory));
    const server = spawn("nats-server", ["-c", configFile], { stdio: ["ignore", "ignore", "pipe"] });
    child = server;
    try {
      ports = await readyPorts(server, options);
    } catch (error) {
      await stopProcess(server, "SIGKILL");
      throw error;
    }
  };
  try {
    await launch();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const known = () => ports!;
  const handle: NatsProcess = {
    name: options.name,
    get url() {
      return `nats://127.0.0.1:${known().client}`;
    },
    get ports() {
      return known();
    },
    get routeUrl() {
      return `nats-route://127.0.0.1:${known().cluster}`;
    },
    get leafUrl() {
      return `nats-leaf://127.0.0.1:${known().leaf}`;
    },
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    kill: () => stopProcess(child, "SIGKILL"),
    shutdown: () => stopProcess(child, "SIGTERM"),
    async start() {
      if (handle.running()) {
        throw new Error(`nats-server ${options.name} is running already`);
      }
      await launch();
    },
    async monitor<T>(path: string): Promise<T> {
      const response = await fetch(`http://127.0.0.1:${known().monitor}${path}`, { signal: AbortSignal.timeout(5_000) });
      return (await response.json()) as T;
    },
    async stop() {
      await stopProcess(child, "SIGTERM");
      await rm(directory, { recursive: true, force: true });
    },
  };
  return handle;
}

/** Three (or `size`) nats-servers in one cluster, every route up. */
export interface NatsCluster {
  readonly members: readonly NatsProcess[];
  /** Client URLs of every member. */
  readonly urls: readonly string[];
  /** Resolves once every running member has a route to every other running member. */
  waitForRoutes(timeoutMs?: number): Promise<void>;
  /** Resolves once every running member knows the JetStream meta group's leader and size (JetStream clusters only). */
  waitForJetStream(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link startNatsCluster}. */
export interface NatsClusterOptions {
  /**
   * Enables JetStream on every member, each with a store of its own; the cluster then has a
   * JetStream meta group (three members keep its quorum when one goes).
   */
  jetStream?: boolean;
}

/**
 * Starts a cluster on loopback: the first member with a route port the system picks, the others
 * routed to it (the members then find each other through it, and stay a full mesh when it goes);
 * with JetStream, every member routed to every other on ports chosen beforehand. Resolves once
 * every route is up (and, with JetStream, once the meta group has a leader).
 *
 * @example
 * const cluster = await startNatsCluster(3, { jetStream: true });
 */
export async function startNatsCluster(size = 3, options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const clusterName = `test-${process.pid}-${Math.floor(performance.now())}`;
  const members: NatsProcess[] = [];
  const cluster: NatsCluster = {
    members,
    get urls() {
      return members.map((member) => member.url);
    },
    async waitForRoutes(timeoutMs = 10_000) {
      await waitUntil(
        "every cluster route to be up",
        async () => {
          const running = members.filter((member) => member.running());
          const routes = await Promise.all(running.map((member) => member.monitor<{ num_routes: number }>("/routez")));
          return routes.every((routez) => routez.num_routes >= running.length - 1);
        },
        timeoutMs,
      );
    },
    async waitForJetStream(timeoutMs = 15_000) {
      if (options.jetStream !== true) {
        throw new Error("this cluster runs without JetStream");
      }
      await waitUntil(
        "every member to know the JetStream meta leader and every other member",
        async () => {
          const running = members.filter((member) => member.running());
          const states = await Promise.all(running.map((member) => member.monitor<{ meta_cluster?: { leader?: string; cluster_size?: number } }>("/jsz")));
          return states.every((jsz) => (jsz.meta_cluster?.leader ?? "") !== "" && (jsz.meta_cluster?.cluster_size ?? 0) >= running.length);
        },
        timeoutMs,
      );
    },
    async stop() {
      await Promise.all(members.map((member) => member.stop()));
    },
  };
  try {
    if (options.jetStream === true) {
      // JetStream wants every member's routes configured, the first's too: route ports chosen
      // beforehand, each member routed to all (its own route skipped). Each member's JetStream
      // store is in its own temporary directory (see startNatsProcess).
      const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
      const routes = routePorts.map((port) => `nats-route://127.0.0.1:${port}`);
      for (const [index, port] of routePorts.entries()) {
        members.push(await startNatsProcess({ name: `n${index + 1}`, cluster: { name: clusterName, routes, port }, jetStream: true }));
      }
    } else {
      const seed = await startNatsProcess({ name: "n1", cluster: { name: clusterName, routes: [] } });
      members.push(seed);
      for (let index = 2; index <= size; index += 1) {
        members.push(await startNatsProcess({ name: `n${index}`, cluster: { name: clusterName, routes: [seed.routeUrl] } }));
      }
    }
    await cluster.waitForRoutes();
    if (options.jetStream === true) {
      await cluster.waitForJetStream();
    }
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/**
 * Polls `condition` every 50 ms until it holds; rejects, naming `what`, when it does not within
 * `timeoutMs`. A condition that throws counts as not holding yet.
 */
export async function waitUntil(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<number> {
  const startedAt = performance.now();
  let lastError: unknown;
  while (performance.now() - startedAt < timeoutMs) {
    try {
      if (await condition()) {
        return performance.now() - startedAt;
      }
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const detail = lastError === undefined ? "" : ` (last error: ${String(lastError)})`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}

// The configuration file: every port on 127.0.0.1, -1 until the first start has picked them.
function configText(options: NatsProcessOptions, ports: NatsPorts | undefined, directory: string): string {
  const lines = [
    `server_name: "${options.name}"`,
    `listen: "127.0.0.1:${ports?.client ?? -1}"`,
    `http: "127.0.0.1:${ports?.monitor ?? -1}"`,
  ];
  if (options.cluster !== undefined) {
    const routes = options.cluster.routes.map((route) => `"${route}"`).join(", ");
    lines.push(`cluster { name: "${options.cluster.name}", listen: "127.0.0.1:${ports?.cluster ?? options.cluster.port ?? -1}", routes: [${routes}] }`);
  }
  const leaf: string[] = [];
  if (options.acceptLeafNodes === true) {
    leaf.push(`listen: "127.0.0.1:${ports?.leaf ?? -1}"`);
  }
  if (options.leafRemotes !== undefined) {
    // Retry a lost hub every second (the default, written down for the tests that rely on it).
    leaf.push(`reconnect: 1`, `remotes: [${options.leafRemotes.map((url) => `{ url: "${url}" }`).join(", ")}]`);
  }
  if (leaf.length > 0) {
    lines.push(`leafnodes { ${leaf.join(", ")} }`);
  }
  if (options.jetStream === true) {
    lines.push(`jetstream { store_dir: "${join(directory, "jetstream")}" }`);
  }
  lines.push(options.config ?? "");
  return `${lines.join("\n")}\n`;
}

// Reads the server's log until it is ready, collecting the ports it listens on.
function readyPorts(server: ChildProcess, options: NatsProcessOptions): Promise<NatsPorts> {
  return new Promise((resolve, reject) => {
    let log = "";
    const fail = (message: string) => {
      clearTimeout(timer);
      reject(new Error(`nats-server ${options.name}: ${message}:\n${log}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${startTimeoutMs} ms`), startTimeoutMs);
    server.once("error", (error) => fail(`cannot run nats-server (is it installed? make test installs it): ${error.message}`));
    server.once("exit", (code, signal) => fail(`exited with ${signal ?? `code ${code}`}`));
    const port = (pattern: RegExp) => {
      const match = pattern.exec(log);
      return match === null ? undefined : Number(match[1]);
    };
    server.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      // The route listener starts after the server says it is ready.
      if (!log.includes("Server is ready") || (options.cluster !== undefined && !/Listening for route connections/.test(log))) {
        return;
      }
      clearTimeout(timer);
      server.stderr!.removeAllListeners("data");
      server.stderr!.resume();
      server.removeAllListeners("exit");
      const client = port(/Listening for client connections on [\d.]+:(\d+)/);
      const monitor = port(/Starting http monitor on [\d.]+:(\d+)/);
      if (client === undefined || monitor === undefined) {
        reject(new Error(`nats-server ${options.name}: no client or monitoring port in the log:\n${log}`));
        return;
      }
      const ports: NatsPorts = { client, monitor };
      const cluster = port(/Listening for route connections on [\d.]+:(\d+)/);
      const leaf = port(/Listening for leafnode connections on [\d.]+:(\d+)/);
      if (cluster !== undefined) {
        ports.cluster = cluster;
      }
      if (leaf !== undefined) {
        ports.leaf = leaf;
      }
      resolve(ports);
    });
  });
}

// Stops a process with a signal; SIGTERM is followed by SIGKILL if it has not gone within a few seconds.
async function stopProcess(child: ChildProcess | undefined, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const killTimer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(killTimer);
}
