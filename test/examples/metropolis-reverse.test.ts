// The Metropolis worker's task (examples/metropolis/src/reverse-code-points.ts): reversal by
// Unicode code points, as the seed's Python `data[::-1]` does.
import fc from "fast-check";
import { reverseCodePoints } from "../../examples/metropolis/src/reverse-code-points.js";

test.each([
  ["", ""],
  ["a", "a"],
  ["abc", "cba"],
  ["hello world", "dlrow olleh"],
  ["héllo", "olléh"],
  ["日本語", "語本日"],
])("%p reversed is %p", (text, reversed) => {
  expect(reverseCodePoints(text)).toBe(reversed);
});

test("a character outside the BMP (a surrogate pair) stays whole", () => {
  expect(reverseCodePoints("a😀b")).toBe("b😀a");
  expect(reverseCodePoints("😀🎉")).toBe("🎉😀");
  expect(reverseCodePoints("x\u{20B9F}y\u{1F600}")).toBe("\u{1F600}y\u{20B9F}x");
  // Reversing UTF-16 units would swap the halves into invalid text.
  expect(reverseCodePoints("😀")).not.toBe("😀".split("").reverse().join(""));
});

test("code points, not graphemes: a combining mark moves after its letter, as in Python", () => {
  expect(reverseCodePoints("e\u0301x")).toBe("x\u0301e");
  // A flag is two regional indicators: reversed, they name another flag.
  expect(reverseCodePoints("\u{1F1EB}\u{1F1F7}")).toBe("\u{1F1F7}\u{1F1EB}");
});

test("a lone surrogate is kept as one unit rather than dropped", () => {
  expect(reverseCodePoints("a\uD83Db")).toBe("b\uD83Da");
});

test("any text: reversing twice gives it back, and the code points come out in reverse order", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), (text) => {
      const reversed = reverseCodePoints(text);
      expect(reverseCodePoints(reversed)).toBe(text);
      expect([...reversed]).toEqual([...text].reverse());
      expect(reversed.length).toBe(text.length);
    }),
  );
});
