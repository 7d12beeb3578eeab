import type { NatsConnection } from "./nats-client.js";

/**
 * Whether at least one instance of an ADR-32 service answers `$SRV.PING.<name>` within the time:
 * what a readiness check asks of each service it depends on. Any failure (no responders, a
 * timeout, a lost connection) is `false`.
 */
export async function serviceAnswersPing(nc: NatsConnection, serviceName: string, timeoutMs: number): Promise<boolean> {
  if (nc.isClosed()) {
    return false;
  }
  try {
    await nc.request(`$SRV.PING.${serviceName}`, new Uint8Array(0), { timeout: timeoutMs });
    return true;
  } catch {
    return false;
  }
}
