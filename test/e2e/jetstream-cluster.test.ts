// The JetStream cluster fixture: three members, each with a store of its own, form one JetStream
// meta group; a replicated stream keeps taking messages with one member killed, and every message
// is there after it comes back.
import { performance } from "node:perf_hooks";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { startNatsCluster, waitUntil, type NatsCluster } from "../helpers/nats-cluster.js";

let cluster: NatsCluster | undefined;
let nc: NatsConnection | undefined;

afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
});

test("three JetStream members share one meta group, and a stream of three replicas outlives a killed member", async () => {
  cluster = await startNatsCluster(3, { jetStream: true });
  const names = await Promise.all(cluster.members.map(async (member) => (await member.monitor<{ server_name: string }>("/varz")).server_name));
  expect(names).toEqual(["n1", "n2", "n3"]);
  const meta = await Promise.all(cluster.members.map((member) => member.monitor<{ meta_cluster: { leader: string; cluster_size: number } }>("/jsz")));
  expect(new Set(meta.map((jsz) => jsz.meta_cluster.leader)).size).toBe(1);
  expect(meta.map((jsz) => jsz.meta_cluster.cluster_size)).toEqual([3, 3, 3]);

  // The client on the first member; the third is killed.
  const [first, second, third] = cluster.members;
  nc = await connect({ servers: [first!.url, second!.url], noRandomize: true });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "fixture", subjects: ["fixture.>"], num_replicas: 3 });
  const js = jetstream(nc);
  for (let index = 0; index < 10; index++) {
    await js.publish(`fixture.${index}`, `before ${index}`);
  }
  await third!.kill();
  // If the killed member led the stream, publishing fails until the others elect a leader (no
  // responders, or a timeout; the election takes a few seconds): each message is sent again under
  // its id, every 100 ms for at most 20 s.
  const deadline = performance.now() + 20_000;
  for (let index = 10; index < 20; index++) {
    for (;;) {
      try {
        await js.publish(`fixture.${index}`, `during ${index}`, { msgID: `during-${index}`, timeout: 2_000 });
        break;
      } catch (error) {
        if (performance.now() > deadline) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  await third!.start();
  await cluster.waitForRoutes();
  await cluster.waitForJetStream();
  // Right after the restart, the member that was down may answer for the stream with its old copy
  // until it has caught up: every message must be there once the stream has settled.
  await waitUntil("the stream to report every message", async () => (await jsm.streams.info("fixture")).state.messages === 20, 15_000);
  // The member that was down catches up: its copy of the stream holds every message.
  await waitUntil(
    "the restarted member's replica to catch up",
    async () => {
      const jsz = await third!.monitor<{ messages: number }>("/jsz");
      return jsz.messages === 20;
    },
    15_000,
  );
}, 60_000);
