/**
 * What the job queue uses of JetStream and its key-value store (nats.js v3), re-exported from one
 * place, as `nats-client.ts` does for core NATS. Both libraries are optional peer dependencies:
 * only programs that run or enqueue jobs load them.
 */
export { AckPolicy, DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, JetStreamApiError, RetentionPolicy, StorageType } from "@nats-io/jetstream";
export type { Consumer, ConsumerConfig, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg, PubAck, StoredMsg, StreamConfig } from "@nats-io/jetstream";
export { Kvm } from "@nats-io/kv";
export type { KV, KvEntry } from "@nats-io/kv";
