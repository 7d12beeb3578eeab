// The requests of a stream from the command line (docs/cli.md, "Streams"): JSON lines, read as
// they are asked for, blank lines skipped, a bad line named.
import { PassThrough } from "node:stream";
import { Code } from "nats-micro-runtime";
import { ItemSchema } from "../gen/testing/streams/v1/streams_pb.js";
import { readRequestLines } from "../../runtime/src/cli/request-lines.js";

test("one request per line, blank lines skipped, read only as far as asked", async () => {
  const stdin = new PassThrough();
  const requests = readRequestLines(ItemSchema, { file: "-", stdin });
  stdin.write('{"n": 1}\n\n');
  expect((await requests.next()).value?.n).toBe(1);
  // The input is still open: the next request comes when its line does.
  const next = requests.next();
  stdin.write('{"n": 2}\r\n');
  expect((await next).value?.n).toBe(2);
  stdin.end('{"n": 3}');
  expect((await requests.next()).value?.n).toBe(3);
  expect((await requests.next()).done).toBe(true);
});

test("a line that is not the message is an invalid_argument naming the line and the type", async () => {
  const stdin = new PassThrough();
  stdin.end('{"n": 1}\n{"n": "x"}\n');
  const read = async () => {
    for await (const _ of readRequestLines(ItemSchema, { file: "-", stdin })) {
      // reading
    }
  };
  await expect(read()).rejects.toMatchObject({
    code: Code.InvalidArgument,
    rawMessage: 'line 2 of standard input is not a valid testing.streams.v1.Item in JSON: cannot decode field testing.streams.v1.Item.n from JSON: expected number (int32), got "x"',
  });
});

test("a file that is not there is named", async () => {
  const read = async () => {
    for await (const _ of readRequestLines(ItemSchema, { file: "/nonexistent/items.jsonl" })) {
      // reading
    }
  };
  await expect(read()).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: "cannot read the requests from /nonexistent/items.jsonl: no such file" });
});
