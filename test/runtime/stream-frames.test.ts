// The frame subjects of a stream (docs/protocol.md, "Inboxes and frames"): what a receiver reads
// after its inbox, and what it ignores.
import { frameSubject, FrameKind, parseFrameAddress, streamSetting } from "../../runtime/src/protocol/stream-frames.js";

test.each([
  ["m.1", { kind: FrameKind.Message, number: 1 }],
  ["m.12345", { kind: FrameKind.Message, number: 12345 }],
  ["c.0", { kind: FrameKind.Credit, number: 0 }],
  ["b.7", { kind: FrameKind.Blocked, number: 7 }],
  ["e.3", { kind: FrameKind.End, number: 3 }],
  ["o", { kind: FrameKind.Open, number: 0 }],
  ["x", { kind: FrameKind.Cancel, number: 0 }],
  ["", { kind: "", number: 0 }],
])("%j is read as %j", (rest, address) => {
  expect(parseFrameAddress(rest)).toEqual(address);
});

test.each(["m", "m.", "m.01", "m.-1", "m.1.2", "m.1e3", "q.1", "o.1x", "e", "c.12345678901234567", "x.y"])("%j is no frame", (rest) => {
  expect(parseFrameAddress(rest)).toBeUndefined();
});

test("a frame's subject is the inbox, its kind and its number", () => {
  expect(frameSubject("_INBOX.abc.7", FrameKind.Message, 12)).toBe("_INBOX.abc.7.m.12");
  expect(frameSubject("_INBOX.abc.7", FrameKind.Cancel)).toBe("_INBOX.abc.7.x");
  expect(parseFrameAddress(frameSubject("I", FrameKind.End, 0).slice("I.".length))).toEqual({ kind: FrameKind.End, number: 0 });
});

test("stream settings are whole numbers of at least 1", () => {
  expect(streamSetting("streamWindow", undefined, 128)).toBe(128);
  expect(streamSetting("streamWindow", 4, 128)).toBe(4);
  expect(() => streamSetting("streamWindow", 0, 128)).toThrow("streamWindow must be a whole number of at least 1, got 0");
  expect(() => streamSetting("streamWindow", 1.5, 128)).toThrow("streamWindow must be a whole number of at least 1, got 1.5");
});
