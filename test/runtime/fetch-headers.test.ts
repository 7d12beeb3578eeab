import { headers } from "@nats-io/nats-core";
import { toFetchHeaders } from "../../runtime/src/transport/nats/message-headers.js";

test("copies every name and value, names in lower case", () => {
  const sent = headers();
  sent.set("Content-Type", "application/json");
  sent.append("X-Tag", "a");
  sent.append("X-Tag", "b");
  const copied = toFetchHeaders(sent);
  expect(copied.get("content-type")).toBe("application/json");
  expect(copied.get("Content-Type")).toBe("application/json");
  expect(copied.get("x-tag")).toBe("a, b");
  expect([...copied.keys()]).toEqual(["content-type", "x-tag"]);
});

test("no headers make empty Headers", () => {
  expect([...toFetchHeaders(undefined).keys()]).toEqual([]);
  expect([...toFetchHeaders(headers()).keys()]).toEqual([]);
});

test("the copy is independent of the NATS headers", () => {
  const sent = headers();
  sent.set("a", "1");
  const copied = toFetchHeaders(sent);
  sent.set("a", "2");
  expect(copied.get("a")).toBe("1");
});
