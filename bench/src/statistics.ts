/** The value below which the given share of the sorted values lie (nearest rank); NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, share: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1));
  return sorted[rank]!;
}

/** Median, least and greatest of a few repetitions. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The median and range of the values (the mean of the middle two when their count is even). */
export function spreadOf(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) {
    return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  }
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}
