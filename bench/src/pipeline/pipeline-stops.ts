// The four stops of one system, one instance of each: a process of its own, started by the
// pipeline benchmark (one or two per system). Both systems run the metrobus example's handlers
// over the same in-memory lookups; what differs is what carries the records from stop to stop.
// Usage (by the runner): node pipeline-stops.js <ours|bare> <url> <messages at once per stop>
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JsMsg } from "@nats-io/jetstream";
import { connect, headers as natsHeaders, nanos } from "@nats-io/transport-node";
import type { HandlerContext } from "nats-micro-runtime";
import { runServerProcess, type RunningServer } from "../servers/server-process.js";
import { loadMetrobusExample, type MetrobusExample, type StopHandler } from "./metrobus-example.js";
import { bareDoneSubject, bareIdHeader, bareStream, bareSubject, benchStops, type PipelineSystem } from "./pipeline-systems.js";

const [system = "", url = "", perStopText = ""] = process.argv.slice(2);
const perStop = Number(perStopText);

await runServerProcess(async () => {
  const example = await loadMetrobusExample();
  switch (system as PipelineSystem) {
    case "ours":
      return serveOurs(example);
    case "bare":
      return serveBare(example);
    default:
      throw new Error(`no pipeline system "${system}"`);
  }
});

// The generated host with servePipeline(): every hop goes through the host's one call path. Its
// concurrency is per host, over the four stops: as many as the bare chain's four consumers hold.
async function serveOurs(example: MetrobusExample): Promise<RunningServer> {
  const { servePipeline } = await import("nats-micro-runtime/pipeline");
  const nc = await connect({ servers: url, name: "bench-pipeline-stops-ours", noAsyncTraces: true });
  const host = await example.serveMetrobus(nc, example.handlers, { entryPoints: [servePipeline({ concurrency: perStop * benchStops.length })] });
  return {
    address: url,
    stop: async () => {
      await host.stop();
      await nc.close();
    },
  };
}

/**
 * The baseline: per stop a work-queue stream (duplicate window on, as ours has) and a durable pull
 * consumer shared by the instances, taken with `consume()`, up to `perStop` messages at once; each
 * record decoded, given to the same handler, encoded, published to the next stop's stream with a
 * message id (awaiting JetStream's ack), then acknowledged. The last stop announces the record on
 * core NATS. No routing slip, no retries, no dead letters, no stats.
 */
async function serveBare(example: MetrobusExample): Promise<RunningServer> {
  const nc = await connect({ servers: url, name: "bench-pipeline-stops-bare", noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const handlers: StopHandler[] = [example.handlers.busDriver, example.handlers.contactPoint, example.handlers.whitelist, example.handlers.logStop];
  // The handlers read nothing of the context on this route but `route`, which a plain call has not.
  const context = { route: undefined } as unknown as HandlerContext;
  const running: { stop(): Promise<void> }[] = [];
  for (const [index, stop] of benchStops.entries()) {
    await jsm.streams.add({ name: bareStream(stop), subjects: [bareSubject(stop)], retention: RetentionPolicy.Workqueue, storage: StorageType.File, duplicate_window: nanos(120_000) });
    await jsm.consumers.add(bareStream(stop), { durable_name: stop, ack_policy: AckPolicy.Explicit, ack_wait: nanos(30_000), max_ack_pending: 10_000 });
    const consumer = await js.consumers.get(bareStream(stop), stop);
    const messages = await consumer.consume({ max_messages: perStop });
    const next = benchStops[index + 1];
    const handler = handlers[index]!;
    const run = async (msg: JsMsg) => {
      const account = fromBinary(example.AccountSchema, msg.data) as unknown as Parameters<StopHandler>[0];
      const result = await handler(account, context);
      const id = msg.headers?.get(bareIdHeader) ?? "";
      if (result !== undefined) {
        const payload = toBinary(example.AccountSchema, create(example.AccountSchema, result as never));
        const header = natsHeaders();
        header.set(bareIdHeader, id);
        if (next === undefined) {
          nc.publish(bareDoneSubject, payload, { headers: header });
        } else {
          await js.publish(bareSubject(next), payload, { headers: header, msgID: `${id}.${index + 1}` });
        }
      }
      msg.ack();
    };
    // At most `perStop` records at once: the loop waits for a free place before taking the next.
    let inFlight = 0;
    let freed: (() => void) | undefined;
    const done = (async () => {
      for await (const msg of messages) {
        while (inFlight >= perStop) {
          await new Promise<void>((resolve) => (freed = resolve));
        }
        inFlight += 1;
        void run(msg)
          .catch(() => msg.nak())
          .finally(() => {
            inFlight -= 1;
            freed?.();
          });
      }
    })();
    running.push({
      stop: async () => {
        await messages.close();
        freed?.();
        await done;
      },
    });
  }
  return {
    address: url,
    stop: async () => {
      await Promise.all(running.map((each) => each.stop()));
      await nc.close();
    },
  };
}
