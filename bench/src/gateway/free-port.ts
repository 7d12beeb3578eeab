import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that nothing listens on at the moment of asking: for programs that
 * take `--listen HOST:PORT` and cannot report a port the system picked. Another process could
 * take it before the program binds it; the program then fails to start and the run says so.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (address !== null && typeof address === "object" ? resolve(address.port) : reject(new Error("no TCP address"))));
    });
  });
}
