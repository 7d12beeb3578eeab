// The lease renewer of the job worker and the pipeline stops
// (runtime/src/transport/nats/jetstream-lease-renewer.ts), on a real nats-server with JetStream: a message
// held is not delivered again however long it is held past its consumer's ack wait, and one
// released is, once the ack wait has run out.
import { connect } from "@nats-io/transport-node";
import { nanos, type NatsConnection } from "@nats-io/nats-core";
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";
import { createLeaseRenewer } from "../../runtime/src/transport/nats/jetstream-lease-renewer.js";
import { startNatsProcess, type NatsProcess } from "../helpers/nats-cluster.js";

let server: NatsProcess;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsProcess({ name: "lease-renewer", jetStream: true });
  nc = await connect({ servers: server.url });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

test("messages held are renewed past their ack wait with one timer, and a message released is delivered again", async () => {
  const leaseMs = 1_000;
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "LEASES", subjects: ["leases.>"], retention: RetentionPolicy.Workqueue });
  await jsm.consumers.add("LEASES", { durable_name: "LEASES", ack_policy: AckPolicy.Explicit, ack_wait: nanos(leaseMs) });
  const js = jetstream(nc);
  await js.publish("leases.a", "a");
  await js.publish("leases.b", "b");
  const consumer = await js.consumers.get("LEASES", "LEASES");
  const first = (await consumer.next({ expires: 2_000 }))!;
  const second = (await consumer.next({ expires: 2_000 }))!;
  const leases = createLeaseRenewer(leaseMs);
  try {
    const releaseFirst = leases.hold(first);
    leases.hold(second);
    // Two and a half ack waits: neither comes back while both are held.
    expect(await consumer.next({ expires: 2_500 })).toBeNull();
    releaseFirst();
    const again = await consumer.next({ expires: 3_000 });
    expect(again?.string()).toBe("a");
    expect(again?.info.deliveryCount).toBe(2);
    again?.ack();
    second.ack();
  } finally {
    leases.close();
  }
});
