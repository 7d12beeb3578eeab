import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { hostAndPort } from "./job-systems.js";

/** The machine's Redis as the BullMQ runs use it: where it is, what it is, and the run's keys. */
export interface RedisStore {
  readonly address: string;
  readonly version: string;
  /** redis-server's pid when it runs on this machine and /proc tells its CPU, for the CPU per job. */
  readonly pid: number | undefined;
  readonly bullmqVersion: string;
  readonly ioredisVersion: string;
  /** Deletes every key under the prefix; resolves with how many it deleted. */
  deleteKeys(prefix: string): Promise<number>;
  close(): Promise<void>;
}

/** What the benchmark uses of an ioredis client. */
interface RedisClient {
  connect(): Promise<void>;
  info(section: string): Promise<string>;
  scan(cursor: string, match: "MATCH", pattern: string, count: "COUNT", size: number): Promise<[string, string[]]>;
  unlink(...keys: string[]): Promise<number>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: "error", listener: (error: Error) => void): unknown;
}

type RedisConstructor = new (options: Record<string, unknown>) => RedisClient;

const connectTimeoutMs = 2_000;
// SCAN passes: far more than the keys of a run need (every job is a hash of its own, and SCAN
// visits the whole keyspace); the bound only guards against a keyspace that keeps growing.
const maxScanPasses = 100_000;

/**
 * Connects to Redis at `address` through ioredis, BullMQ 6's Redis driver (an optional peer
 * dependency of bullmq), loaded at run time so that the benchmark builds without it. Resolves with
 * a reason instead when the driver is missing or Redis does not answer, so that the benchmark goes
 * on without BullMQ.
 */
export async function openRedisStore(address: string): Promise<RedisStore | { unavailable: string }> {
  const require = createRequire(import.meta.url);
  let Redis: RedisConstructor;
  let bullmqVersion: string;
  let ioredisVersion: string;
  const versionOf = (name: string) => (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string }).version;
  try {
    const module = require("ioredis") as RedisConstructor & { default?: RedisConstructor };
    Redis = module.default ?? module;
    bullmqVersion = versionOf("bullmq");
    ioredisVersion = versionOf("ioredis");
  } catch (error) {
    return { unavailable: `BullMQ needs the ioredis package, its Redis driver, which is not installed (npm install --no-save ioredis): ${firstLine(error)}` };
  }
  const client = new Redis({ ...hostAndPort(address), lazyConnect: true, connectTimeout: connectTimeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let lastError: Error | undefined;
  client.on("error", (error) => (lastError = error));
  let info: string;
  try {
    await client.connect();
    info = await client.info("server");
  } catch (error) {
    client.disconnect();
    return { unavailable: `no Redis answers at ${address}: ${firstLine(lastError ?? error)}` };
  }
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim();
  const pid = Number(field("process_id"));
  return {
    address,
    version: field("redis_version") ?? "unknown",
    pid: Number.isSafeInteger(pid) && isRedisServer(pid) ? pid : undefined,
    bullmqVersion,
    ioredisVersion,
    async deleteKeys(prefix) {
      let deleted = 0;
      let cursor = "0";
      for (let pass = 0; pass < maxScanPasses; pass += 1) {
        const [nextCursor, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1_000);
        if (keys.length > 0) {
          deleted += await client.unlink(...keys);
        }
        cursor = nextCursor;
        if (cursor === "0") {
          break;
        }
      }
      return deleted;
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

// Whether the pid Redis gave is a redis-server on this machine (not one in another container).
function isRedisServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").includes("redis");
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n", 1)[0] ?? "";
}
