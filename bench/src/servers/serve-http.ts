// The HTTP server: a fastify JSON endpoint (HTTP/1.1, keep-alive), the same messages in their
// protobuf JSON form, parsed and written by fastify's own JSON path.
import Fastify from "fastify";
import { score, scorePath } from "../bench-messages.js";
import { runServerProcess } from "./server-process.js";

await runServerProcess(async () => {
  const app = Fastify({ logger: false });
  app.post<{ Body: { id: string; samples: number[] } }>(scorePath, async (request) => score(request.body));
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") {
    throw new Error("fastify did not report a TCP address");
  }
  return { address: `http://127.0.0.1:${address.port}`, stop: () => app.close() };
});
