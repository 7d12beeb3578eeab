import { headers, type MsgHdrs } from "@nats-io/nats-core";
import { Code } from "../../runtime/src/protocol/code.js";
import { codeFromHttpStatus, httpStatusFromCode } from "../../runtime/src/protocol/code-tables.js";
import { errorFromHeaders as errorFromReadHeaders, setErrorHeaders } from "../../runtime/src/protocol/error-headers.js";
import { HeaderName } from "../../runtime/src/protocol/header-name.js";
import { RpcError } from "../../runtime/src/protocol/rpc-error.js";
import { natsHeader, toFetchHeaders, toNatsHeaders } from "../../runtime/src/transport/nats/message-headers.js";

// Reads an error from the headers of a NATS reply, as the client does.
function errorFromHeaders(received: MsgHdrs | undefined): RpcError | undefined {
  return errorFromReadHeaders((name) => natsHeader(received, name), () => toFetchHeaders(received));
}

const allCodes = Object.values(Code);

// The status of each code, as Connect maps them and docs/protocol.md lists them.
const expectedStatus: Record<Code, number> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
};

describe("httpStatusFromCode and codeFromHttpStatus", () => {
  test.each(allCodes)("%s has its HTTP-style status", (code) => {
    const status = httpStatusFromCode(code);
    expect(status).toBe(expectedStatus[code]);
    expect(Number.isInteger(status) && status >= 400 && status <= 599).toBe(true);
  });

  test("a status shared by no other code maps back to its code", () => {
    const unambiguous = allCodes.filter((code) => allCodes.filter((other) => httpStatusFromCode(other) === httpStatusFromCode(code)).length === 1);
    expect(unambiguous.sort()).toEqual(
      [
        Code.Canceled,
        Code.DeadlineExceeded,
        Code.NotFound,
        Code.PermissionDenied,
        Code.ResourceExhausted,
        Code.Unimplemented,
        Code.Unavailable,
        Code.Unauthenticated,
      ].sort(),
    );
    for (const code of unambiguous) {
      expect(codeFromHttpStatus(httpStatusFromCode(code))).toBe(code);
    }
  });

  test("a shared status maps back to the most general of its codes", () => {
    expect(codeFromHttpStatus(400)).toBe(Code.InvalidArgument);
    expect(codeFromHttpStatus(409)).toBe(Code.Aborted);
    expect(codeFromHttpStatus(500)).toBe(Code.Internal);
  });

  test("statuses other services use map to the closest code", () => {
    expect(codeFromHttpStatus(408)).toBe(Code.DeadlineExceeded);
    expect(codeFromHttpStatus(412)).toBe(Code.FailedPrecondition);
    expect(codeFromHttpStatus(502)).toBe(Code.Unavailable);
  });

  test("a status with no close code is unknown", () => {
    for (const status of [200, 302, 418, 422, 505, 599, 0, -1, Number.NaN]) {
      expect(codeFromHttpStatus(status)).toBe(Code.Unknown);
    }
  });
});

describe("setErrorHeaders", () => {
  test("writes the two ADR-32 headers and the exact code", () => {
    const written = new Headers();
    setErrorHeaders(written, new RpcError("no such item", Code.NotFound));
    expect(written.get(HeaderName.ServiceError)).toBe("no such item");
    expect(written.get(HeaderName.ServiceErrorCode)).toBe("404");
    expect(written.get(HeaderName.RpcCode)).toBe("not_found");
    // On the wire, with the spelling of the contract (ADR-32 spells the error headers so).
    expect(toNatsHeaders(written).keys()).toEqual(["Nats-Rpc-Code", "Nats-Service-Error", "Nats-Service-Error-Code"]);
  });

  test("writes the message without the [code] prefix", () => {
    const written = new Headers();
    setErrorHeaders(written, new RpcError("bad", Code.InvalidArgument));
    expect(written.get(HeaderName.ServiceError)).toBe("bad");
  });

  test("makes a message with line breaks one line", () => {
    const written = new Headers();
    setErrorHeaders(written, new RpcError("first line\nsecond line\r\nthird\r\rfourth", Code.Internal));
    expect(written.get(HeaderName.ServiceError)).toBe("first line second line third fourth");
    // The header block as it goes on the wire: no line break can end it early.
    expect(toNatsHeaders(written).toString()).toBe(
      "NATS/1.0\r\nNats-Rpc-Code: internal\r\nNats-Service-Error: first line second line third fourth\r\nNats-Service-Error-Code: 500\r\n\r\n",
    );
  });

  test("keeps headers already set on the reply", () => {
    const written = new Headers();
    written.set("x-request-id", "r-1");
    setErrorHeaders(written, new RpcError("slow down", Code.ResourceExhausted));
    expect(written.get("x-request-id")).toBe("r-1");
    expect(written.get(HeaderName.ServiceErrorCode)).toBe("429");
  });
});

describe("errorFromHeaders", () => {
  test.each(allCodes)("round-trips %s with its message", (code) => {
    const written = new Headers();
    setErrorHeaders(written, new RpcError(`failed with ${code}`, code));
    const error = errorFromHeaders(toNatsHeaders(written));
    expect(error).toBeInstanceOf(RpcError);
    expect(error?.code).toBe(code);
    expect(error?.rawMessage).toBe(`failed with ${code}`);
    expect(error?.message).toBe(`[${code}] failed with ${code}`);
  });

  test("round-trips a message with text beyond Latin-1, and one of Latin-1 only, as sent on the wire", () => {
    for (const message of ["Größe ungültig: ≠ 42 — 値が無効です ✓", "Größe", "Ã©"]) {
      const written = new Headers();
      setErrorHeaders(written, new RpcError(message, Code.OutOfRange));
      const wire = toNatsHeaders(written);
      expect(wire.get(HeaderName.ServiceError)).toBe(message);
      expect(errorFromHeaders(wire)?.rawMessage).toBe(message);
    }
  });

  test("keeps the reply's headers as metadata", () => {
    const written = new Headers();
    written.set("x-request-id", "r-1");
    setErrorHeaders(written, new RpcError("gone", Code.NotFound));
    const error = errorFromHeaders(toNatsHeaders(written));
    expect(error?.metadata.get("x-request-id")).toBe("r-1");
    expect(error?.metadata.get(HeaderName.RpcCode)).toBe("not_found");
  });

  test("no headers, or headers without an error, are no error", () => {
    expect(errorFromHeaders(undefined)).toBeUndefined();
    expect(errorFromHeaders(headers())).toBeUndefined();
    const plain = headers();
    plain.set(HeaderName.ContentType, "application/json");
    expect(errorFromHeaders(plain)).toBeUndefined();
  });

  test("a bare numeric status from another micro service maps to the closest code", () => {
    const cases: [string, Code][] = [
      ["400", Code.InvalidArgument],
      ["401", Code.Unauthenticated],
      ["403", Code.PermissionDenied],
      ["404", Code.NotFound],
      ["408", Code.DeadlineExceeded],
      ["409", Code.Aborted],
      ["412", Code.FailedPrecondition],
      ["429", Code.ResourceExhausted],
      ["499", Code.Canceled],
      ["500", Code.Internal],
      ["501", Code.Unimplemented],
      ["502", Code.Unavailable],
      ["503", Code.Unavailable],
      ["504", Code.DeadlineExceeded],
      ["418", Code.Unknown],
      ["not a number", Code.Unknown],
    ];
    for (const [status, code] of cases) {
      const foreign = headers();
      foreign.set(HeaderName.ServiceError, "from elsewhere");
      foreign.set(HeaderName.ServiceErrorCode, status);
      const error = errorFromHeaders(foreign);
      expect([status, error?.code]).toEqual([status, code]);
      expect(error?.rawMessage).toBe("from elsewhere");
    }
  });

  test("the exact code wins over the numeric status", () => {
    const written = headers();
    written.set(HeaderName.ServiceError, "exists");
    written.set(HeaderName.ServiceErrorCode, "409");
    written.set(HeaderName.RpcCode, Code.AlreadyExists);
    expect(errorFromHeaders(written)?.code).toBe(Code.AlreadyExists);
  });

  test("an exact code outside the closed set falls back to the numeric status", () => {
    const written = headers();
    written.set(HeaderName.ServiceError, "odd");
    written.set(HeaderName.ServiceErrorCode, "404");
    written.set(HeaderName.RpcCode, "NOT_FOUND");
    expect(errorFromHeaders(written)?.code).toBe(Code.NotFound);
  });

  test("an exact code alone is an error, with a message saying there was none", () => {
    const written = headers();
    written.set(HeaderName.RpcCode, Code.Unavailable);
    const error = errorFromHeaders(written);
    expect(error?.code).toBe(Code.Unavailable);
    expect(error?.rawMessage).toBe("error reply with status (none)");
  });

  test("a status without a message gets a message naming the status", () => {
    const written = headers();
    written.set(HeaderName.ServiceErrorCode, "503");
    const error = errorFromHeaders(written);
    expect(error?.code).toBe(Code.Unavailable);
    expect(error?.rawMessage).toBe("error reply with status 503");
  });
});
