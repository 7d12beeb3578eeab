import { parseArgs } from "node:util";
import { connectNats, resolveConnectionSettings } from "nats-micro-runtime/cli";
import { accountRecord, seededRandom } from "./account-records.js";
import { startNotify } from "./gen/metrobus/v1/metrobus_nats.js";

/** What the pusher does; every count is a bound. */
export interface PusherOptions {
  /** NATS server URL (`--server`); the NATS CLI's environment and context otherwise. */
  server?: string;
  /** Records to push; 0 pushes until stopped (SIGINT, SIGTERM). */
  count: number;
  /** Records per second; 0 pushes as fast as JetStream stores them. */
  rate: number;
  /** Accounts the records are drawn from (as many as the data files have). */
  accounts: number;
  /** Seed of the records: the same seed pushes the same records. */
  seed: number;
}

/** The pusher's `--help`. */
export const pusherUsage = `usage: metrobus-pusher [--server URL] [--count N] [--rate N] [--accounts N] [--seed N]

Pushes account records onto the Notify pipeline (startNotify), as an upstream application would,
and logs one JSON line when done (or stopped) with how many it pushed.

  --server URL    NATS server (default: NATS_URL, the NATS CLI context, nats://127.0.0.1:4222)
  --count N       records to push; 0: until stopped (default 1000)
  --rate N        records per second; 0: as fast as they are stored (default 20)
  --accounts N    accounts the records name (default 10000, as make-data.mjs makes)
  --seed N        seed of the records (default 1)
`;

/** Reads the pusher's command line (`"help"` for `--help`); throws with the usage on a mistake. */
export function parsePusherOptions(args: readonly string[]): PusherOptions | "help" {
  const { values } = parseArgs({
    args: [...args],
    options: { server: { type: "string" }, count: { type: "string" }, rate: { type: "string" }, accounts: { type: "string" }, seed: { type: "string" }, help: { type: "boolean" } },
    strict: true,
  });
  if (values.help === true) {
    return "help";
  }
  const whole = (flag: string, text: string | undefined, fallback: number, least: number) => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isSafeInteger(value) || value < least) {
      throw new Error(`--${flag} takes a whole number of at least ${least}, got "${text}"\n\n${pusherUsage}`);
    }
    return value;
  };
  return {
    ...(values.server === undefined ? {} : { server: values.server }),
    count: whole("count", values.count, 1_000, 0),
    rate: whole("rate", values.rate, 20, 0),
    accounts: whole("accounts", values.accounts, 10_000, 1),
    seed: whole("seed", values.seed, 1, 0),
  };
}

/**
 * The pusher: the seed's source of records. Starts `count` account records on the Notify pipeline
 * at `rate` per second, stopping early on SIGINT or SIGTERM, and writes one JSON line of what it
 * pushed. Each record waits for JetStream to store it before the next, so none is lost to a full
 * buffer; a failure (to connect, or to store a record) ends the run with exit code 1 and says
 * after how many.
 */
export async function runPusher(options: PusherOptions, write: (line: string) => void = (line) => process.stdout.write(line)): Promise<number> {
  const log = (level: string, msg: string, fields: Record<string, unknown>) => write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  let nc: Awaited<ReturnType<typeof connectNats>>;
  try {
    nc = await connectNats({ ...resolveConnectionSettings(options.server === undefined ? {} : { servers: [options.server] }), name: "metrobus-pusher" });
  } catch (error) {
    log("error", "cannot connect", { error: error instanceof Error ? error.message : String(error) });
    return 1;
  }
  let stopping = false;
  const stop = () => (stopping = true);
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const random = seededRandom(options.seed);
  const startedAt = Date.now();
  let pushed = 0;
  try {
    while (!stopping && (options.count === 0 || pushed < options.count)) {
      if (options.rate > 0) {
        // On schedule rather than a fixed sleep, so that slow stores do not lower the rate.
        const due = startedAt + (pushed * 1_000) / options.rate;
        const wait = due - Date.now();
        if (wait > 0) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          continue;
        }
      }
      await startNotify(nc, accountRecord(random, { accounts: options.accounts }));
      pushed += 1;
    }
    log("info", "pushed", { pushed, seconds: (Date.now() - startedAt) / 1_000 });
    return 0;
  } catch (error) {
    log("error", "push failed", { pushed, error: error instanceof Error ? error.message : String(error) });
    return 1;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await nc.drain();
  }
}
