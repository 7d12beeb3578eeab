import { create, toBinary } from "@bufbuild/protobuf";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect, headers as natsHeaders, nuid } from "@nats-io/transport-node";
import { HeaderName } from "nats-micro-runtime";
import { PipelineNames } from "nats-micro-runtime/pipeline";
import type { Caller } from "../callers/caller.js";
import { loadMetrobusExample, type MetrobusExample } from "./metrobus-example.js";
import { bareDoneSubject, bareIdHeader, bareSubject, benchPipeline, benchStops, recordTimeoutMs, type PipelineSystem } from "./pipeline-systems.js";

/**
 * The producer's side of a system: each `call()` puts one account record on the route and
 * resolves once the last stop has announced it, so that a closed loop of N callers keeps N records
 * on the route. The announcement is found by the record's id, which the caller chooses before it
 * publishes (an announcement can come before the publish is acknowledged).
 */
export async function createPipelineCaller(system: PipelineSystem, url: string): Promise<Caller> {
  const example = await loadMetrobusExample();
  const nc = await connect({ servers: url, name: `bench-pipeline-producer-${system}`, noAsyncTraces: true });
  // Ours announces ended routes with their id in the slip's headers (docs/pipelines.md).
  const { doneSubject, idHeader } =
    system === "ours"
      ? { doneSubject: PipelineNames.doneSubject(benchPipeline), idHeader: HeaderName.PipelineRouteId }
      : { doneSubject: bareDoneSubject, idHeader: bareIdHeader };
  const waiting = new Map<string, () => void>();
  nc.subscribe(doneSubject, {
    callback: (error, msg) => {
      const id = error === null ? msg.headers?.get(idHeader) : undefined;
      if (id !== undefined) {
        waiting.get(id)?.();
      }
    },
  });
  await nc.flush();
  const publish = system === "ours" ? publishOurs(nc, example) : publishBare(nc, example);
  const prefix = nuid.next();
  let next = 0;
  return {
    async call() {
      const id = `${prefix}-${(next += 1)}`;
      let timer: NodeJS.Timeout | undefined;
      const done = new Promise<void>((resolve, reject) => {
        waiting.set(id, resolve);
        timer = setTimeout(() => reject(new Error(`record ${id} did not reach the end of the route within ${recordTimeoutMs} ms`)), recordTimeoutMs);
      });
      try {
        await publish(id);
        await done;
      } finally {
        clearTimeout(timer);
        waiting.delete(id);
      }
    },
    close: () => nc.close(),
  };
}

// The generated startNotify(), with the caller's id as the route's id.
function publishOurs(nc: NatsConnection, example: MetrobusExample): (id: string) => Promise<void> {
  return async (id) => {
    await example.startNotify(nc, example.nextRecord(), { id });
  };
}

// js.publish() of the encoded record to the first stop's stream, its id in a header and as its message id.
function publishBare(nc: NatsConnection, example: MetrobusExample): (id: string) => Promise<void> {
  const js = jetstream(nc);
  return async (id) => {
    const header = natsHeaders();
    header.set(bareIdHeader, id);
    await js.publish(bareSubject(benchStops[0]), toBinary(example.AccountSchema, create(example.AccountSchema, example.nextRecord())), { headers: header, msgID: `${id}.0` });
  };
}
