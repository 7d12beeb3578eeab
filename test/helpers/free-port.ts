import { createServer } from "node:net";

/**
 * A port of 127.0.0.1 that nothing listens on now, for a server that cannot pick one itself
 * (PostgreSQL) or whose peers must know it before it starts (a JetStream cluster's routes).
 * Another process may take it before the server binds it: callers that can, retry.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port was given"))));
    });
  });
}
