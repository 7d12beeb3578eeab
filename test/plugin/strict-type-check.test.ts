// The generated code, with protoc-gen-es's beside it, compiles under the project's strict base
// configuration (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, noUnusedLocals,
// verbatimModuleSyntax, NodeNext). It is written under test/ so that nats-micro-runtime (built by
// `npm run build`), nats and @bufbuild/protobuf resolve from the workspace's node_modules.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { binPath, rootDirectory } from "../helpers/paths.js";
import { generate, type PluginRun } from "../helpers/run-plugin.js";
import { runProcess } from "../helpers/run-process.js";
import { sampleProtos } from "../helpers/sample-protos.js";

// Each value of the plugin option `emit`, with code that uses what it generates.
const emits = ["both", "host", "client"] as const;
type Emit = (typeof emits)[number];

const runs: Partial<Record<Emit, PluginRun>> = {};
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(rootDirectory, "test", ".tmp-"));
  await Promise.all(
    emits.map(async (emit) => {
      const run = await generate(sampleProtos, {
        options: ["target=ts", "import_extension=js", `emit=${emit}`],
        protocGenEsOptions: ["target=ts", "import_extension=js"],
      });
      runs[emit] = run;
      const project = join(directory, emit);
      for (const [path, content] of Object.entries(run.files)) {
        await mkdir(dirname(join(project, "gen", path)), { recursive: true });
        await writeFile(join(project, "gen", path), content);
      }
      // Code that uses the generated API as a user would: handler objects and client calls.
      for (const [path, content] of Object.entries(usages[emit])) {
        await writeFile(join(project, path), content);
      }
      const tsconfig = {
        extends: join(rootDirectory, "tsconfig.json"),
        compilerOptions: { noEmit: true },
        include: ["gen/**/*.ts", ...Object.keys(usages[emit])],
      };
      await writeFile(join(project, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
    }),
  );
}, 40_000);

afterAll(async () => {
  if (directory !== undefined) {
    await rm(directory, { recursive: true, force: true });
  }
});

test.each(emits)("the code generated with emit=%s and a use of it compile with tsc --noEmit under the strict base config", async (emit) => {
  const run = runs[emit];
  if (run === undefined) {
    throw new Error(`no run with emit=${emit}`);
  }
  expect(Object.keys(run.files)).toEqual(expect.arrayContaining(["shop/v1/orders_nats.ts", "shop/v1/orders_pb.ts", "acme/common/v1/money_pb.ts"]));
  const project = join(directory, emit);
  const result = await runProcess(binPath("tsc"), ["-p", project], { cwd: project, timeoutMs: 40_000 });
  // tsc reports errors on stdout.
  expect(`${result.stdout}${result.stderr}`).toBe("");
  expect(result.exitCode).toBe(0);
}, 45_000);

const hostUsage = `import type { NatsConnection } from "@nats-io/nats-core";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { serveAdmin, serveOrders, type OrdersHandlers } from "./gen/shop/v1/orders_nats.js";
import { serveCatalog } from "./gen/shop/v1/catalog_nats.js";
import { serveFeed, serveTicker } from "./gen/shop/v1/feed_nats.js";

const orders: OrdersHandlers = {
  async place(request, context) {
    context.signal.throwIfAborted();
    return { units: BigInt(request.quantity) * 100n, currency: { code: request.item === "" ? "EUR" : "USD" } };
  },
  currency: (request) => request.currency ?? { code: "EUR" },
  now: () => timestampNow(),
};

export async function serve(nc: NatsConnection): Promise<void> {
  const host = await serveOrders(nc, orders, { version: "1.0.0" });
  await serveAdmin(nc, {
    delete: () => ({}),
    class: () => ({}),
    function: () => ({}),
    constructor$: () => ({}),
    toString$: () => ({}),
  });
  await serveCatalog(nc, { price: async () => ({ prices: [] }) });
  // Every kind of stream: an async generator for replies, an AsyncIterable of requests.
  await serveFeed(nc, {
    latest: () => timestampNow(),
    async *watch(_request, context) {
      context.responseTrailer.set("x-ticks", "1");
      yield timestampNow();
    },
  });
  await serveTicker(nc, {
    async *tick(requests) {
      for await (const _ of requests) {
        yield timestampNow();
      }
    },
    async count(requests) {
      let seconds = 0n;
      for await (const _ of requests) {
        seconds += 1n;
      }
      return { seconds };
    },
  });
  await host.stop();
}
`;

const clientUsage = `import type { NatsConnection } from "@nats-io/nats-core";
import { create } from "@bufbuild/protobuf";
import { MoneySchema } from "./gen/acme/common/v1/money_pb.js";
import { AdminClient, OrdersClient } from "./gen/shop/v1/orders_nats.js";
import { CatalogClient } from "./gen/shop/v1/catalog_nats.js";
import { FeedClient, TickerClient } from "./gen/shop/v1/feed_nats.js";

export async function call(nc: NatsConnection): Promise<string> {
  const price = await new OrdersClient(nc).place({ item: "tea", quantity: 2 }, { timeoutMs: 1_000 });
  const currency = await new OrdersClient(nc).currency(create(MoneySchema, { units: 1n }));
  await new AdminClient(nc).constructor$({});
  await new AdminClient(nc).toString$({});
  const list = await new CatalogClient(nc).price({ item: "tea" });
  const latest = await new FeedClient(nc).latest({});
  let watched = 0n;
  for await (const time of new FeedClient(nc).watch({}, { timeoutMs: 1_000, onTrailer: (trailers) => trailers.get("x-ticks") })) {
    watched += time.seconds;
    break;
  }
  async function* empties() {
    yield {};
  }
  for await (const time of new TickerClient(nc).tick(empties(), { signal: AbortSignal.timeout(1_000) })) {
    watched += time.seconds;
  }
  const counted = await new TickerClient(nc).count(empties());
  return \`\${price.units} \${currency.code} \${list.prices.length} \${latest.seconds} \${watched} \${counted.seconds}\`;
}
`;

// The files of code that use what each value of emit generates.
const usages: Record<Emit, Readonly<Record<string, string>>> = {
  both: { "host.ts": hostUsage, "client.ts": clientUsage },
  host: { "host.ts": hostUsage },
  client: { "client.ts": clientUsage },
};
