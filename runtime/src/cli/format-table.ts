/**
 * Lays rows out as a plain-text table: columns padded to their widest cell, two spaces apart,
 * no trailing spaces, a newline after every row. Each line starts with `indent`.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], indent = ""): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `${indent}${cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd()}\n`;
  return [header, ...rows].map(line).join("");
}
