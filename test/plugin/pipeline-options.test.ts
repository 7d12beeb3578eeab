// The pipeline options of nats/micro/v1/options.proto (docs/pipelines.md), through real buf: a
// route whose stops do not chain by type, name no stop, use a streaming method or is empty fails
// the generation with one line naming the file, the pipeline and the stop; a valid pipeline gets
// its typed start function, and its stops handlers that may return undefined.
import { runPlugin, type PluginRun, type ProtoFiles } from "../helpers/run-plugin.js";

const shopPath = "shop/v1/shop.proto";

// The file shop/v1/shop.proto with these service bodies (options and methods), and three messages.
function shop(options: string, methods: string): ProtoFiles {
  return {
    [shopPath]: `syntax = "proto3";

package shop.v1;

import "nats/micro/v1/options.proto";

// Orders, stop by stop.
service Orders {
  ${options === "" ? "" : `option (nats.micro.v1.service) = { ${options} };`}
${methods}
}

message Order {
  string id = 1;
}

message Invoice {
  string order_id = 1;
}

message Receipt {
  string text = 1;
}
`,
  };
}

const stop = (name: string, input: string, output: string, options = "stop: {}") => `  rpc ${name}(${input}) returns (${output}) { option (nats.micro.v1.method) = { ${options} }; }`;
const stops = [stop("Check", "Order", "Order"), stop("Bill", "Order", "Invoice"), stop("Send", "Invoice", "Receipt"), "  rpc Look(Order) returns (Order);"].join("\n");

const cases = {
  valid: shop('pipeline: { name: "Fulfil" route: ["Check", "Bill", "Send"] description: "checks, bills and sends an order." }', stops),
  typeMismatch: shop('pipeline: { name: "Fulfil" route: ["Check", "Send"] }', stops),
  unknownStop: shop('pipeline: { name: "Fulfil" route: ["Check", "Pack", "Bill"] }', stops),
  notAStop: shop('pipeline: { name: "Fulfil" route: ["Look"] }', stops),
  emptyRoute: shop('pipeline: { name: "Fulfil" }', stops),
  badName: shop('pipeline: { name: "fulfil-orders" route: ["Check"] }', stops),
  sameName: shop('pipeline: { name: "Fulfil" route: ["Check"] } pipeline: { name: "Fulfil" route: ["Bill"] }', stops),
  sameStopName: shop('pipeline: { name: "Fulfil" route: ["Check"] }', [stops, stop("Recheck", "Order", "Order", 'stop: { name: "Check" }')].join("\n")),
  streamingStop: shop("", [stops, "  rpc Watch(Order) returns (stream Order) { option (nats.micro.v1.method) = { stop: {} }; }"].join("\n")),
  badStopPolicy: shop("", [stop("Check", "Order", "Order", "stop: { attempts: 101 max_hops: 5000 }"), stop("Bill", "Order", "Invoice", 'stop: { name: "bill.now" }')].join("\n")),
} satisfies Record<string, ProtoFiles>;

type CaseName = keyof typeof cases;
const runs: Partial<Record<CaseName, PluginRun>> = {};

beforeAll(async () => {
  // A few buf runs at a time: other test files run buf too.
  const queue = Object.entries(cases) as [CaseName, ProtoFiles][];
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      runs[next[0]] = await runPlugin(next[1]);
    }
  };
  await Promise.all(Array.from({ length: 3 }, worker));
}, 90_000);

const header = "protoc-gen-nats: invalid nats.micro.v1 options:";

// The problem lines of a case, which must have failed without writing any file.
function problems(name: CaseName): string[] {
  const run = runs[name]!;
  if (run.error === undefined) {
    throw new Error(`generation of ${name} succeeded`);
  }
  expect(run.files).toEqual({});
  const lines = run.error.split("\n");
  const rest = lines.slice(lines.indexOf(header) + 1);
  const end = rest.findIndex((line) => !/^[\w/.-]+\.proto: /.test(line));
  return end === -1 ? rest : rest.slice(0, end);
}

const inShop = (...lines: string[]) => lines.map((line) => `${shopPath}: ${line}`);

describe("pipelines are checked at generation", () => {
  test.each([
    ["typeMismatch", 'service shop.v1.Orders: pipeline Fulfil: stop "Send" (route position 2) takes shop.v1.Invoice, but the stop before it, "Check", returns shop.v1.Order'],
    ["unknownStop", 'service shop.v1.Orders: pipeline Fulfil: stop "Pack" (route position 2) is no stop: no method has a stop option of that name (stops: Bill, Check, Send)'],
    ["notAStop", 'service shop.v1.Orders: pipeline Fulfil: stop "Look" (route position 1) is no stop: no method has a stop option of that name (stops: Bill, Check, Send)'],
    ["emptyRoute", "service shop.v1.Orders: pipeline Fulfil: the route is empty: name its stops in order"],
    ["badName", 'service shop.v1.Orders: pipeline fulfil-orders: the name must be 1 to 64 letters and digits starting with a capital letter (A-Z, then A-Z a-z 0-9), got "fulfil-orders"'],
    ["sameName", "service shop.v1.Orders: pipeline Fulfil: the name is declared by service shop.v1.Orders too"],
    ["sameStopName", 'method shop.v1.Orders.Recheck: stop name "Check" is the name of stop shop.v1.Orders.Check too'],
    ["streamingStop", "method shop.v1.Orders.Watch: stop: a pipeline stop must be a unary method, not server_streaming"],
  ] as const)("%s: one line naming the file, the pipeline and the stop", (name, problem) => {
    expect(problems(name)).toEqual(inShop(problem));
  });

  test("a stop's policy breaking a rule is named, field by field", () => {
    expect(problems("badStopPolicy")).toEqual(
      inShop(
        "method shop.v1.Orders.Check: stop.attempts must be 1 to 100, got 101",
        "method shop.v1.Orders.Check: stop.max_hops must be 1 to 1000, got 5000",
        'method shop.v1.Orders.Bill: stop.name: stop name "bill.now" is not valid: use 1 to 64 of A-Z a-z 0-9 _ -',
      ),
    );
  });
});

describe("a valid pipeline", () => {
  const code = () => runs.valid!.files["shop/v1/shop_nats.ts"]!;

  test("gets its definition and a start function typed by its first stop's input", () => {
    expect(runs.valid!.error).toBeUndefined();
    expect(code()).toContain('export const FulfilPipeline: PipelineDefinition<typeof OrderSchema, typeof ReceiptSchema> = definePipeline(\n  "Fulfil",\n  ["Check", "Bill", "Send"],\n  OrderSchema,\n  ReceiptSchema,\n);');
    expect(code()).toContain("export function startFulfil(\n  nc: NatsConnection,\n  message: MessageInitShape<typeof OrderSchema>,\n  options?: StartPipelineOptions,\n): Promise<StartedRoute> {");
    expect(code()).toContain(' * Pipeline Fulfil: checks, bills and sends an order.\n *\n * Its default route is `Check` → `Bill` → `Send`');
    expect(code()).toContain('from "nats-micro-runtime/pipeline";');
  });

  test("its stops' handlers may return undefined to drop, the other methods' may not", () => {
    expect(code()).toContain("  bill(request: Order, context: HandlerContext):\n    | Promise<MessageInitShape<typeof InvoiceSchema> | undefined>\n    | MessageInitShape<typeof InvoiceSchema>\n    | undefined;");
    expect(code()).toContain("  look(request: Order, context: HandlerContext):\n    | Promise<MessageInitShape<typeof OrderSchema>>\n    | MessageInitShape<typeof OrderSchema>;");
  });

  test("a file without pipelines does not import the pipeline entry", async () => {
    const run = await runPlugin(shop("", stops));
    expect(run.error).toBeUndefined();
    expect(run.files["shop/v1/shop_nats.ts"]).not.toContain("nats-micro-runtime/pipeline");
  });
});
