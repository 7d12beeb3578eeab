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

let run: PluginRun;
let directory: string;

beforeAll(async () => {
  run = await generate(sampleProtos, { protocGenEsOptions: ["target=ts", "import_extension=js"] });
  directory = await mkdtemp(join(rootDirectory, "test", ".tmp-"));
  for (const [path, content] of Object.entries(run.files)) {
    await mkdir(dirname(join(directory, "gen", path)), { recursive: true });
    await writeFile(join(directory, "gen", path), content);
  }
  // Code that uses the generated API as a user would: a handler object and client calls.
  await writeFile(join(directory, "use.ts"), usage);
  const tsconfig = {
    extends: join(rootDirectory, "tsconfig.json"),
    compilerOptions: { noEmit: true },
    include: ["gen/**/*.ts", "use.ts"],
  };
  await writeFile(join(directory, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
}, 30_000);

afterAll(async () => {
  if (directory !== undefined) {
    await rm(directory, { recursive: true, force: true });
  }
});

test("the generated code and a use of it compile with tsc --noEmit under the strict base config", async () => {
  expect(Object.keys(run.files)).toEqual(expect.arrayContaining(["shop/v1/orders_nats.ts", "shop/v1/orders_pb.ts", "acme/common/v1/money_pb.ts"]));
  const result = await runProcess(binPath("tsc"), ["-p", directory], { cwd: directory, timeoutMs: 40_000 });
  // tsc reports errors on stdout.
  expect(`${result.stdout}${result.stderr}`).toBe("");
  expect(result.exitCode).toBe(0);
}, 45_000);

const usage = `import type { NatsConnection } from "nats";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { MoneySchema } from "./gen/acme/common/v1/money_pb.js";
import { AdminClient, OrdersClient, serveAdmin, serveOrders, type OrdersHandlers } from "./gen/shop/v1/orders_nats.js";
import { CatalogClient } from "./gen/shop/v1/catalog_nats.js";
import { FeedClient, serveFeed } from "./gen/shop/v1/feed_nats.js";

const orders: OrdersHandlers = {
  async place(request, context) {
    context.signal.throwIfAborted();
    return { units: BigInt(request.quantity) * 100n, currency: { code: request.item === "" ? "EUR" : "USD" } };
  },
  currency: (request) => request.currency ?? { code: "EUR" },
  now: () => timestampNow(),
};

export async function use(nc: NatsConnection): Promise<string> {
  const host = await serveOrders(nc, orders);
  await serveAdmin(nc, {
    delete: () => ({}),
    class: () => ({}),
    function: () => ({}),
    constructor$: () => ({}),
    toString$: () => ({}),
  });
  await serveFeed(nc, { latest: () => timestampNow() });
  const price = await new OrdersClient(nc).place({ item: "tea", quantity: 2 }, { timeoutMs: 1_000 });
  const currency = await new OrdersClient(nc).currency(create(MoneySchema, { units: 1n }));
  await new AdminClient(nc).constructor$({});
  await new AdminClient(nc).toString$({});
  const list = await new CatalogClient(nc).price({ item: "tea" });
  const latest = await new FeedClient(nc).latest({});
  await host.stop();
  return \`\${price.units} \${currency.code} \${list.prices.length} \${latest.seconds}\`;
}
`;
