import { headers, type Msg, type MsgHdrs, type Payload, type PublishOptions } from "@nats-io/nats-core";
import { tryRespond } from "../../runtime/src/transport/nats/try-respond.js";

interface Sent {
  payload: Payload | undefined;
  options: PublishOptions | undefined;
}

// A received message whose replies are recorded instead of sent.
function receivedMessage(reply: string | undefined, respond: (payload?: Payload, options?: PublishOptions) => boolean): Msg {
  return {
    subject: "calc.v1.Calc.Average",
    sid: 1,
    ...(reply === undefined ? {} : { reply }),
    data: new Uint8Array(0),
    respond,
    json: <T>() => ({}) as T,
    string: () => "",
  };
}

test("replies with the payload, and with headers only when there are some", () => {
  const sent: Sent[] = [];
  const msg = receivedMessage("_INBOX.a.1", (payload, options) => (sent.push({ payload, options }), true));
  const replyHeaders: MsgHdrs = headers();
  replyHeaders.set("Content-Type", "application/json");
  expect(tryRespond(msg, Uint8Array.of(1, 2))).toBe(true);
  expect(tryRespond(msg, Uint8Array.of(3), replyHeaders)).toBe(true);
  expect(sent).toEqual([
    { payload: Uint8Array.of(1, 2), options: undefined },
    { payload: Uint8Array.of(3), options: { headers: replyHeaders } },
  ]);
});

test("a message without a reply subject gets no reply", () => {
  let calls = 0;
  const respond = () => (calls++, true);
  expect(tryRespond(receivedMessage(undefined, respond), new Uint8Array(0))).toBe(false);
  expect(tryRespond(receivedMessage("", respond), new Uint8Array(0))).toBe(false);
  expect(calls).toBe(0);
});

test("a reply that cannot be sent is reported, not thrown", () => {
  const msg = receivedMessage("_INBOX.a.1", () => {
    throw new Error("connection closed");
  });
  expect(tryRespond(msg, new Uint8Array(0))).toBe(false);
  expect(tryRespond(receivedMessage("_INBOX.a.1", () => false), new Uint8Array(0))).toBe(false);
});
