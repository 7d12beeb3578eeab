// How much of `serve --drain-timeout` running jobs and pipeline messages get before they are given
// back: 5 s are kept for giving them back (a JetStream request may take that long), a fifth of a
// long drain, half of a short one.
import { stopGraceMs } from "../../runtime/src/cli/serve-command.js";

test.each([
  [25_000, 20_000],
  [60_000, 48_000],
  [10_000, 5_000],
  [4_000, 2_000],
  [1_000, 500],
])("a drain of %i ms lets work run %i ms", (drainTimeoutMs, graceMs) => {
  expect(stopGraceMs(drainTimeoutMs)).toBe(graceMs);
});
