// Pack frames (docs/protocol.md, "Inboxes and frames"): messages as varint lengths and bytes.
import { packMessages, unpackMessages, varintSize } from "../../runtime/src/protocol/message-pack.js";

test("messages of every size come back as they went, empty ones included", () => {
  const payloads = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(127).fill(9), new Uint8Array(128).fill(8), new Uint8Array(70_000).fill(7)];
  const packed = packMessages(payloads);
  expect(packed.length).toBe(payloads.reduce((size, payload) => size + varintSize(payload.length) + payload.length, 0));
  expect(unpackMessages(packed).map((payload) => [...payload])).toEqual(payloads.map((payload) => [...payload]));
});

test("the lengths are protobuf varints", () => {
  expect([...packMessages([Uint8Array.of(5)])]).toEqual([1, 5]);
  expect([...packMessages([new Uint8Array(300)])].slice(0, 2)).toEqual([0xac, 0x02]);
  expect([varintSize(0), varintSize(127), varintSize(128), varintSize(16_383), varintSize(16_384)]).toEqual([1, 1, 2, 2, 3]);
});

test("a pack whose length runs past its end, or is cut short, is refused", () => {
  expect(() => unpackMessages(Uint8Array.of(5, 1, 2))).toThrow("a pack frame's message of 5 bytes runs past the frame's end");
  expect(() => unpackMessages(Uint8Array.of(1, 9, 0x80))).toThrow("a pack frame's message length is cut short or too long");
  expect(unpackMessages(new Uint8Array(0))).toEqual([]);
});
