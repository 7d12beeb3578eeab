// How the gateway frames a stream's replies: the format a request's Accept asks for, and the
// frames of replies and of an error after the first reply.
import { errorFrame, replyFrame, streamFormat } from "../../runtime/src/gateway/stream-format.js";

test.each([
  [undefined, "ndjson"],
  ["*/*", "ndjson"],
  ["application/json", "ndjson"],
  ["application/x-ndjson", "ndjson"],
  ["text/event-stream", "sse"],
  ["application/json, Text/Event-Stream;q=0.5", "sse"],
  ["text/event-stream;q=0", "ndjson"],
  [["application/json", "text/event-stream"], "sse"],
] as const)("Accept %j asks for %s", (accept, format) => {
  expect(streamFormat(accept as string | string[] | undefined)).toBe(format);
});

test("a reply is one line of NDJSON, or one data event", () => {
  expect(replyFrame("ndjson", '{"n":1}')).toBe('{"n":1}\n');
  expect(replyFrame("sse", '{"n":1}')).toBe('data: {"n":1}\n\n');
});

test("an error after the first reply is grpc-gateway's last line, or an error event", () => {
  const status = '{"code":9,"message":"m","details":[]}';
  expect(errorFrame("ndjson", status)).toBe(`{"error":${status}}\n`);
  expect(JSON.parse(errorFrame("ndjson", status))).toEqual({ error: { code: 9, message: "m", details: [] } });
  expect(errorFrame("sse", status)).toBe(`event: error\ndata: ${status}\n\n`);
});
