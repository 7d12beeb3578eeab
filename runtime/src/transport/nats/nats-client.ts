/**
 * What the rest of the runtime uses of the NATS client (nats.js v3), re-exported from one place:
 * no file outside `transport/nats/` imports the client library. The types are the application's
 * own (`@nats-io/nats-core` is a peer dependency), so its connection is the one the runtime takes.
 */
export type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/nats-core";
export { headers as createNatsHeaders, nuid } from "@nats-io/nats-core";
