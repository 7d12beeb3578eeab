import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP forwarder on 127.0.0.1 between two real parts (say, a leaf node and its hub), which a test
 * can cut and restore to drop the link between them while both keep running.
 */
export interface TcpProxy {
  /** The port it listens on. */
  readonly port: number;
  /** Closes every forwarded connection and refuses new ones until {@link restore}. */
  cut(): void;
  /** Forwards new connections again. */
  restore(): void;
  close(): Promise<void>;
}

/** Starts forwarding from a port the system picks to `127.0.0.1:<targetPort>`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let isCut = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // A reset from either side is how a link drops; it is no failure of the proxy.
    socket.on("error", () => socket.destroy());
  };
  const server: Server = createServer((incoming) => {
    track(incoming);
    if (isCut) {
      incoming.destroy();
      return;
    }
    const outgoing = createConnection({ host: "127.0.0.1", port: targetPort });
    track(outgoing);
    incoming.pipe(outgoing);
    outgoing.pipe(incoming);
    incoming.once("close", () => outgoing.destroy());
    outgoing.once("close", () => incoming.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("the proxy has no TCP address");
  }
  return {
    port: address.port,
    cut() {
      isCut = true;
      for (const socket of sockets) {
        socket.destroy();
      }
    },
    restore() {
      isCut = false;
    },
    close() {
      isCut = true;
      for (const socket of sockets) {
        socket.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
