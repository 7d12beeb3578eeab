// Interceptors and context values, on both sides of a real nats-server: order, what each side may
// change, errors, deadlines, and that every request reaches the host's request observer.
import { create, isMessage } from "@bufbuild/protobuf";
import {
  Code,
  createContextKey,
  createContextValues,
  createHandlerContext,
  RpcError,
  type FinishedRequest,
  type Interceptor,
  type ServiceHost,
} from "nats-micro-runtime";
import { calcHandlers } from "../../example/src/calc-handlers.js";
import { AverageRequestSchema, Calc, CalcResponseSchema } from "../../example/src/gen/calc/v1/calc_pb.js";
import { CalcClient, serveCalc, type CalcHandlers } from "../../example/src/gen/calc/v1/calc_nats.js";
import { rawRequest } from "../helpers/raw-nats.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";

const fixture = useNatsFixture();
const { hosts } = fixture;

async function serve(handlers: CalcHandlers, options: Parameters<typeof serveCalc>[2] = {}): Promise<ServiceHost> {
  const host = await serveCalc(fixture.nc, handlers, options);
  hosts.push(host);
  return host;
}

// An interceptor that writes its name on the way in and out.
const tracing =
  (name: string, events: string[]): Interceptor =>
  (next) =>
  async (request) => {
    events.push(`${name} in`);
    const response = await next(request);
    events.push(`${name} out`);
    return response;
  };

const userKey = createContextKey<string | undefined>(undefined, { description: "user" });

describe("host interceptors", () => {
  test("run in order around the handler, the first one outermost", async () => {
    const events: string[] = [];
    await serve(
      {
        ...calcHandlers,
        async sum(request) {
          events.push("handler");
          return calcHandlers.sum(request, createHandlerContext({ method: Calc.method.sum }));
        },
      },
      { interceptors: [tracing("a", events), tracing("b", events)] },
    );
    await expect(new CalcClient(fixture.nc).sum({ values: [1, 2] })).resolves.toMatchObject({ result: 3 });
    expect(events).toEqual(["a in", "b in", "handler", "b out", "a out"]);
  });

  test("set context values for the handler, read headers, change the request, and add reply headers", async () => {
    const authenticate: Interceptor = (next) => async (request) => {
      const token = request.header.get("authorization");
      if (token !== "Bearer ada") {
        throw new RpcError("who are you?", Code.Unauthenticated);
      }
      request.contextValues.set(userKey, "ada");
      return next(request);
    };
    const doubling: Interceptor = (next) => async (request) => {
      // A copy with another message: the handler sees the copy.
      const values = isMessage(request.message, AverageRequestSchema) ? request.message.values.map((value) => value * 2) : [];
      const response = await next({ ...request, message: create(AverageRequestSchema, { values }) });
      response.header.set("x-doubled", "yes");
      return response;
    };
    let seenUser: string | undefined;
    await serve(
      {
        ...calcHandlers,
        async average(request, context) {
          seenUser = context.values.get(userKey);
          return calcHandlers.average(request, context);
        },
      },
      { interceptors: [authenticate, doubling] },
    );
    const calc = new CalcClient(fixture.nc);
    let replyHeader = new Headers();
    const reply = await calc.average({ values: [1, 2] }, { headers: { authorization: "Bearer ada" }, onHeader: (header) => (replyHeader = header) });
    expect(reply.result).toBe(3);
    expect(seenUser).toBe("ada");
    expect(replyHeader.get("x-doubled")).toBe("yes");

    const refused = await calc.average({ values: [1] }).catch((reason: unknown) => reason);
    expect(refused).toBeInstanceOf(RpcError);
    expect((refused as RpcError).code).toBe(Code.Unauthenticated);
    expect((refused as RpcError).rawMessage).toBe("who are you?");
  });

  test("the handler sees the headers as the interceptors left them: changed in place, or replaced by a copy's", async () => {
    const inPlace: Interceptor = (next) => async (request) => {
      request.header.set("x-seen-by", "in-place");
      return next(request);
    };
    const replacing: Interceptor = (next) => async (request) => {
      const header = new Headers(request.header);
      header.set("x-replaced", "yes");
      return next({ ...request, header });
    };
    const seen: Array<[string | null, string | null, string | null]> = [];
    const handlers: CalcHandlers = {
      ...calcHandlers,
      async sum(request, context) {
        seen.push([context.requestHeader.get("x-caller"), context.requestHeader.get("x-seen-by"), context.requestHeader.get("x-replaced")]);
        return calcHandlers.sum(request, context);
      },
    };
    await serve(handlers, { interceptors: [inPlace] });
    await new CalcClient(fixture.nc).sum({ values: [1] }, { headers: { "x-caller": "ada" } });
    await hosts.pop()?.stop();
    await serve(handlers, { interceptors: [inPlace, replacing] });
    await new CalcClient(fixture.nc).sum({ values: [1] }, { headers: { "x-caller": "ada" } });
    expect(seen).toEqual([
      ["ada", "in-place", null],
      ["ada", "in-place", "yes"],
    ]);
  });

  test("what an interceptor throws is answered and counted like a handler's error; plain errors stay hidden", async () => {
    let handlerRan = false;
    const broken: Interceptor = () => async () => {
      throw new Error("database password is hunter2");
    };
    const host = await serve(
      {
        ...calcHandlers,
        async sum(request, context) {
          handlerRan = true;
          return calcHandlers.sum(request, context);
        },
      },
      { interceptors: [broken] },
    );
    const error = await new CalcClient(fixture.nc).sum({ values: [1] }).catch((reason: unknown) => reason);
    expect((error as RpcError).code).toBe(Code.Internal);
    expect((error as RpcError).rawMessage).toBe("internal error");
    expect(handlerRan).toBe(false);
    const stats = host.stats().endpoints.find((endpoint) => endpoint.name === "Sum")!;
    expect(stats).toMatchObject({ num_requests: 1, num_errors: 1, last_error: "internal: database password is hunter2" });
  });

  test("run within the request's deadline: a slow interceptor gets deadline_exceeded, and no reply", async () => {
    let aborted = false;
    const slow: Interceptor = (next) => async (request) => {
      await new Promise<void>((resolve) => request.signal.addEventListener("abort", () => resolve(), { once: true }));
      aborted = true;
      return next(request);
    };
    const host = await serve(calcHandlers, { interceptors: [slow] });
    const error = await new CalcClient(fixture.nc).sum({ values: [1] }, { timeoutMs: 200 }).catch((reason: unknown) => reason);
    expect((error as RpcError).code).toBe(Code.DeadlineExceeded);
    // The host's deadline runs out a moment after the client's: its clock starts when the request arrives.
    for (let waited = 0; !aborted && waited < 2_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(aborted).toBe(true);
    expect(host.stats().endpoints.find((endpoint) => endpoint.name === "Sum")!.last_error).toMatch(/^deadline_exceeded/);
  });
});

describe("onRequestFinished", () => {
  test("sees every request with the code the stats count, also those that fail before the handler", async () => {
    const finished: FinishedRequest[] = [];
    hosts.push(await serveCalc(fixture.nc, calcHandlers, { onRequestFinished: (request) => finished.push(request) }));
    const calc = new CalcClient(fixture.nc);
    await calc.sum({ values: [1] });
    await calc.average({ values: [] }).catch(() => undefined);
    // A payload that is no JSON of the request, sent by hand.
    await rawRequest(fixture.nc, "calc.v1.Calc.Sum", "{not json", { "Content-Type": "application/json" });
    expect(finished.map(({ method, code }) => `${method} ${code}`)).toEqual(["Sum ok", "Average invalid_argument", "Sum invalid_argument"]);
    expect(finished[2]!.error?.rawMessage).toMatch(/cannot decode calc\.v1\.SumRequest from JSON/);
    for (const request of finished) {
      expect(request.durationMs).toBeGreaterThan(0);
    }
  });
});

describe("client interceptors", () => {
  test("run in order around the call, add headers the host sees, and read context values of the call", async () => {
    const events: string[] = [];
    let seenHeader: string | null = null;
    await serve({
      ...calcHandlers,
      async sum(request, context) {
        seenHeader = context.requestHeader.get("x-user");
        return calcHandlers.sum(request, context);
      },
    });
    const withUser: Interceptor = (next) => async (request) => {
      request.header.set("x-user", request.contextValues.get(userKey) ?? "anonymous");
      return next(request);
    };
    const calc = new CalcClient(fixture.nc, { interceptors: [tracing("a", events), withUser, tracing("b", events)] });
    await calc.sum({ values: [1, 2] }, { contextValues: createContextValues().set(userKey, "grace") });
    expect(seenHeader).toBe("grace");
    expect(events).toEqual(["a in", "b in", "b out", "a out"]);
    await calc.sum({ values: [1, 2] });
    expect(seenHeader).toBe("anonymous");
  });

  test("see the reply's message and headers, and the error of a failed call", async () => {
    await serve({
      ...calcHandlers,
      async sum(request, context) {
        context.responseHeader.set("x-served-by", "test");
        return calcHandlers.sum(request, context);
      },
    });
    const seen: string[] = [];
    const observe: Interceptor = (next) => async (request) => {
      try {
        const response = await next(request);
        const result = isMessage(response.message, CalcResponseSchema) ? response.message.result : undefined;
        seen.push(`${request.method.name} ${response.header.get("x-served-by")} ${result}`);
        return response;
      } catch (error) {
        seen.push(`${request.method.name} ${(error as RpcError).code}`);
        throw error;
      }
    };
    const calc = new CalcClient(fixture.nc, { interceptors: [observe] });
    await calc.sum({ values: [2, 3] });
    await expect(calc.average({ values: [] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(seen).toEqual(["Sum test 5", "Average invalid_argument"]);
  });

  test("a client interceptor that throws fails the call before anything is sent", async () => {
    let handlerRan = false;
    await serve({
      ...calcHandlers,
      async sum(request, context) {
        handlerRan = true;
        return calcHandlers.sum(request, context);
      },
    });
    const refuse: Interceptor = () => async () => {
      throw new RpcError("not today", Code.FailedPrecondition);
    };
    await expect(new CalcClient(fixture.nc, { interceptors: [refuse] }).sum({ values: [1] })).rejects.toMatchObject({ code: Code.FailedPrecondition });
    expect(handlerRan).toBe(false);
  });

  test("the deadline counts the time interceptors take", async () => {
    await serve(calcHandlers);
    let sentTimeout = 0;
    const slow: Interceptor = (next) => async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      sentTimeout = request.timeoutMs() ?? 0;
      return next(request);
    };
    await new CalcClient(fixture.nc, { interceptors: [slow] }).sum({ values: [1] }, { timeoutMs: 1_000 });
    expect(sentTimeout).toBeLessThanOrEqual(860);
    expect(sentTimeout).toBeGreaterThan(0);
  });
});

test("createHandlerContext passes context values to a handler under test", async () => {
  const context = createHandlerContext({ method: Calc.method.sum, values: createContextValues().set(userKey, "ada") });
  expect(context.values.get(userKey)).toBe("ada");
  expect(createHandlerContext({ method: Calc.method.sum }).values.get(userKey)).toBeUndefined();
});
