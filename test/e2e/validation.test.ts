// Validation with buf.validate rules (nats-micro-runtime/validation) on a real nats-server: each
// kind of rule, nested field paths, the violations as error details on the client in both
// encodings, responses, client-side validation, and rules that do not compile.
import { Code, createHost, RpcError, type FinishedRequest, type ServiceHost } from "nats-micro-runtime";
import { createValidationInterceptor, violationsOf, ViolationsSchema } from "nats-micro-runtime/validation";
import { Orders, Priority, type PlaceOrderRequest } from "../gen/testing/validation/v1/orders_pb.js";
import { OrdersClient, serveOrders, type OrdersHandlers } from "../gen/testing/validation/v1/orders_nats.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PlaceOrderRequestSchema } from "../gen/testing/validation/v1/orders_pb.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";

const fixture = useNatsFixture();
const { hosts } = fixture;
let handled = 0;

const handlers: OrdersHandlers = {
  place(request: PlaceOrderRequest) {
    handled += 1;
    return { units: request.items.reduce((sum, item) => sum + item.quantity, 0) };
  },
  broken() {
    return { units: 0 };
  },
};

// Only Place: Broken's rule does not compile.
const placeOnly = { methods: ["Place"] } as const;

const valid: MessageInitShape<typeof PlaceOrderRequestSchema> = {
  customer: { handle: "ada" },
  items: [{ name: "tea", quantity: 2 }],
  priority: Priority.HIGH,
};

async function serveValidated(options: Parameters<typeof createValidationInterceptor>[0] = {}, finished?: FinishedRequest[]): Promise<ServiceHost> {
  const host = await serveOrders(fixture.nc, handlers, {
    ...placeOnly,
    interceptors: [createValidationInterceptor(options)],
    ...(finished === undefined ? {} : { onRequestFinished: (request: FinishedRequest) => finished.push(request) }),
  });
  hosts.push(host);
  return host;
}

async function rejection(call: Promise<unknown>): Promise<RpcError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RpcError);
  return error as RpcError;
}

describe.each(["binary", "json"] as const)("host validation (%s)", (encoding) => {
  const client = () => new OrdersClient(fixture.nc, { encoding });

  test("a valid request reaches the handler", async () => {
    await serveValidated();
    await expect(client().place(valid)).resolves.toMatchObject({ units: 2 });
  });

  test.each<[string, MessageInitShape<typeof PlaceOrderRequestSchema>, { field: string; ruleId: string }[]]>([
    ["string min length, nested in a list", { ...valid, items: [{ name: "", quantity: 1 }] }, [{ field: "items[0].name", ruleId: "string.min_len" }]],
    ["string max length", { ...valid, items: [{ name: "x".repeat(21), quantity: 1 }] }, [{ field: "items[0].name", ruleId: "string.max_len" }]],
    ["string pattern, nested message", { ...valid, customer: { handle: "Ada!" } }, [{ field: "customer.handle", ruleId: "string.pattern" }]],
    ["numeric range", { ...valid, items: [{ name: "a", quantity: 1 }, { name: "b", quantity: 101 }] }, [{ field: "items[1].quantity", ruleId: "int32.gte_lte" }]],
    ["required field", { ...valid, customer: undefined }, [{ field: "customer", ruleId: "required" }]],
    ["repeated min items", { ...valid, items: [] }, [{ field: "items", ruleId: "repeated.min_items" }]],
    ["repeated max items", { ...valid, items: [1, 2, 3, 4].map((n) => ({ name: `i${n}`, quantity: 1 })) }, [{ field: "items", ruleId: "repeated.max_items" }]],
    ["enum defined_only", { ...valid, priority: 7 as Priority }, [{ field: "priority", ruleId: "enum.defined_only" }]],
    ["CEL expression on the message", { ...valid, discount: 5000n }, [{ field: "", ruleId: "order.discount_below_total" }]],
  ])("%s: invalid_argument with the violations, before the handler", async (_name, request, expected) => {
    await serveValidated();
    const before = handled;
    const error = await rejection(client().place(request));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(handled).toBe(before);
    const violations = violationsOf(error);
    expect(violations.map(({ field, ruleId }) => ({ field, ruleId }))).toEqual(expected);
    expect(violations.every((violation) => violation.message.length > 0)).toBe(true);
    expect(error.findDetails(ViolationsSchema)).toHaveLength(1);
  });

  test("several violations at once", async () => {
    await serveValidated();
    const error = await rejection(client().place({ customer: undefined, items: [{ name: "", quantity: 0 }], priority: Priority.LOW }));
    expect(violationsOf(error).map((violation) => violation.field)).toEqual(["customer", "items[0].name", "items[0].quantity"]);
  });
});

test("stats and the request observer count a rejected request as invalid_argument", async () => {
  const finished: FinishedRequest[] = [];
  await serveValidated({}, finished);
  await rejection(new OrdersClient(fixture.nc).place({ ...valid, items: [] }));
  expect(finished.map((request) => request.code)).toEqual([Code.InvalidArgument]);
});

test("responses are validated when asked: a response that breaks its rules is an internal error", async () => {
  await serveValidated({ validateResponses: true });
  const error = await rejection(new OrdersClient(fixture.nc).place({ ...valid, items: [{ name: "a", quantity: 60 }] }));
  expect(error.code).toBe(Code.Internal);
  await expect(new OrdersClient(fixture.nc).place({ ...valid, items: [{ name: "a", quantity: 50 }] })).resolves.toMatchObject({ units: 50 });
});

test("a client validates before sending: nothing is sent", async () => {
  // No host at all: a call that were sent would fail with unavailable.
  const client = new OrdersClient(fixture.nc, { interceptors: [createValidationInterceptor()] });
  const error = await rejection(client.place({ ...valid, items: [] }));
  expect(error.code).toBe(Code.InvalidArgument);
  expect(violationsOf(error)).toEqual([expect.objectContaining({ field: "items", ruleId: "repeated.min_items" })]);
});

test("a rule that does not compile is a start-up error of createHost", async () => {
  const start = createHost(fixture.nc, Orders, handlers, { interceptors: [createValidationInterceptor()] });
  await expect(start).rejects.toThrow(/validation rules of testing\.validation\.v1\.BrokenRequest .*do not compile/);
});

test("an error reply without details works as before: no details", async () => {
  const host = await serveOrders(fixture.nc, { ...handlers, place: () => { throw new RpcError("no stock", Code.FailedPrecondition); } }, placeOnly);
  hosts.push(host);
  const error = await rejection(new OrdersClient(fixture.nc).place(valid));
  expect(error.code).toBe(Code.FailedPrecondition);
  expect(error.rawMessage).toBe("no stock");
  expect(error.details).toEqual([]);
  expect(violationsOf(error)).toEqual([]);
});
