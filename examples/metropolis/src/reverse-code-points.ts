/**
 * Reverses a string by Unicode code points, not UTF-16 units: a character outside the Basic
 * Multilingual Plane (an emoji, a surrogate pair) stays whole. Combining marks and other
 * multi-code-point graphemes are not kept together, as in Python's `text[::-1]`.
 *
 * @example
 * reverseCodePoints("a😀b"); // "b😀a"
 */
export function reverseCodePoints(text: string): string {
  // The string iterator yields code points.
  return Array.from(text).reverse().join("");
}
