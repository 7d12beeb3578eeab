// Clients with batchWrites (what the gateway uses): the requests of one turn of the event loop go
// in one write, and every call still gets its own reply, timeout and failure.
import { connect } from "@nats-io/transport-node";
import { Code, RpcError } from "nats-micro-runtime";
import { LibraryClient, serveLibrary, type LibraryHandlers } from "../gen/testing/gateway/v1/library_nats.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";

const fixture = useNatsFixture();

const handlers = {
  async echo(request) {
    if (request.text === "slow") {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return request;
  },
} satisfies Partial<LibraryHandlers>;

// Handlers for the served methods only, checked by the types: a method served without its
// handler, or partial handlers without \`methods\`, do not compile. (Never called.)
export function servingWithoutHandlers(): void {
  // @ts-expect-error GetBook is served but has no handler
  void serveLibrary(fixture.nc, handlers, { methods: ["Echo", "GetBook"] });
  // @ts-expect-error all methods are served, and only Echo has a handler
  void serveLibrary(fixture.nc, handlers);
}

test("calls made in one turn are all answered, each with its own reply", async () => {
  fixture.hosts.push(await serveLibrary(fixture.nc, handlers, { methods: ["Echo"] }));
  const client = new LibraryClient(fixture.nc, { batchWrites: true });
  const replies = await Promise.all(Array.from({ length: 300 }, (_, index) => client.echo({ text: `call ${index}`, number: BigInt(index) })));
  expect(replies.map((reply) => reply.text)).toEqual(Array.from({ length: 300 }, (_, index) => `call ${index}`));
});

test("a batched call times out on its own", async () => {
  fixture.hosts.push(await serveLibrary(fixture.nc, handlers, { methods: ["Echo"] }));
  const client = new LibraryClient(fixture.nc, { batchWrites: true });
  const [slow, quick] = await Promise.allSettled([client.echo({ text: "slow" }, { timeoutMs: 100 }), client.echo({ text: "quick" }, { timeoutMs: 2000 })]);
  expect(slow.status === "rejected" && (slow.reason as RpcError).code).toBe(Code.DeadlineExceeded);
  expect(quick.status === "fulfilled" && quick.value.text).toBe("quick");
});

test("calls whose connection closes before the turn ends fail at once rather than wait", async () => {
  const nc = await connect({ servers: fixture.server.url });
  const client = new LibraryClient(nc, { batchWrites: true });
  const calls = Array.from({ length: 5 }, () => client.echo({ text: "never sent" }, { timeoutMs: 10_000 }).catch((reason: unknown) => reason));
  const started = performance.now();
  await nc.close();
  const failures = await Promise.all(calls);
  expect(failures.every((failure) => failure instanceof RpcError && failure.code === Code.Unavailable)).toBe(true);
  expect(performance.now() - started).toBeLessThan(5_000);
});
