// The football example's math (examples/football/src/match-odds.ts) against references computed
// here another way: the full grid with factorials from sums of logarithms, summed in the opposite
// order, and closed forms where there are some.
import fc from "fast-check";
import { matchOdds, maxExpectedGoals, type MatchOdds } from "../../examples/football/src/match-odds.js";

/** ln(n!) as a sum of logarithms: no factorial, no recurrence shared with the code under test. */
function logFactorial(n: number): number {
  let sum = 0;
  for (let m = 2; m <= n; m += 1) {
    sum += Math.log(m);
  }
  return sum;
}

/** P(X = k) for X ~ Poisson(λ), directly from its formula. */
function poisson(k: number, expected: number): number {
  if (expected === 0) {
    return k === 0 ? 1 : 0;
  }
  return Math.exp(k * Math.log(expected) - expected - logFactorial(k));
}

/**
 * The whole correct-score grid up to `size` goals a team (beyond any tail that matters for
 * expectations up to 20), each cell its own product, summed from the largest scores down.
 */
function gridOdds(homeExpected: number, awayExpected: number, size = 120): MatchOdds {
  const home = Array.from({ length: size + 1 }, (_, k) => poisson(k, homeExpected));
  const away = Array.from({ length: size + 1 }, (_, k) => poisson(k, awayExpected));
  let homeWin = 0;
  let awayWin = 0;
  let draw = 0;
  for (let i = size; i >= 0; i -= 1) {
    for (let j = size; j >= 0; j -= 1) {
      const cell = home[i]! * away[j]!;
      if (i > j) homeWin += cell;
      else if (i < j) awayWin += cell;
      else draw += cell;
    }
  }
  const total = homeWin + awayWin + draw;
  return { homeWin: homeWin / total, awayWin: awayWin / total, draw: draw / total };
}

/**
 * P(draw) in closed form: e^-(h+a) · I₀(2√(h·a)), the Skellam distribution at 0, with the
 * modified Bessel function as its series Σ (h·a)^k / (k!)².
 */
function skellamDraw(homeExpected: number, awayExpected: number): number {
  const product = homeExpected * awayExpected;
  let term = 1;
  let series = 1;
  for (let k = 1; k < 500 && term > series * 1e-18; k += 1) {
    term *= product / (k * k);
    series += term;
  }
  return Math.exp(-(homeExpected + awayExpected)) * series;
}

function expectClose(actual: MatchOdds, expected: MatchOdds, tolerance = 1e-11): void {
  expect(Math.abs(actual.homeWin - expected.homeWin)).toBeLessThan(tolerance);
  expect(Math.abs(actual.awayWin - expected.awayWin)).toBeLessThan(tolerance);
  expect(Math.abs(actual.draw - expected.draw)).toBeLessThan(tolerance);
}

const sumOf = (odds: MatchOdds) => odds.homeWin + odds.awayWin + odds.draw;

const cases: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [0, 1],
  [2.5, 0],
  [0.1, 1], // the seed's sample request
  [1.5, 1.1],
  [1, 1],
  [3.2, 0.4],
  [15, 15],
  [15, 2],
  [19.5, 19.5],
  [19.5, 15],
  [0.001, 20],
  [20, 20],
];

test.each(cases)("home %p, away %p: the three add up to 1 and match the full grid summed another way", (home, away) => {
  const odds = matchOdds(home, away);
  expect(Math.abs(sumOf(odds) - 1)).toBeLessThan(1e-9);
  for (const probability of [odds.homeWin, odds.awayWin, odds.draw]) {
    expect(probability).toBeGreaterThanOrEqual(0);
    expect(probability).toBeLessThanOrEqual(1);
  }
  expectClose(odds, gridOdds(home, away));
});

test.each(cases)("home %p, away %p: the draw is the Skellam distribution at 0", (home, away) => {
  expect(Math.abs(matchOdds(home, away).draw - skellamDraw(home, away))).toBeLessThan(1e-11);
});

test("no goals expected on either side: a certain draw", () => {
  expect(matchOdds(0, 0)).toEqual({ homeWin: 0, awayWin: 0, draw: 1 });
});

test("one side expected to score nothing: the other wins unless it scores nothing too (e^-λ)", () => {
  for (const expected of [0.1, 1, 4.2, 15, 19.5]) {
    const away = matchOdds(0, expected);
    expect(away.homeWin).toBe(0);
    expect(Math.abs(away.draw - Math.exp(-expected))).toBeLessThan(1e-12);
    expect(Math.abs(away.awayWin - (1 - Math.exp(-expected)))).toBeLessThan(1e-12);
  }
});

test("swapping the expectations swaps the two wins exactly, and equal expectations make them equal", () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 20, noNaN: true }), fc.double({ min: 0, max: 20, noNaN: true }), (home, away) => {
      const forward = matchOdds(home, away);
      const swapped = matchOdds(away, home);
      expect(swapped.homeWin).toBe(forward.awayWin);
      expect(swapped.awayWin).toBe(forward.homeWin);
      expect(swapped.draw).toBe(forward.draw);
      const even = matchOdds(home, home);
      expect(even.homeWin).toBe(even.awayWin);
    }),
  );
});

test("any expectations from 0 to 20: the three add up to 1 and match the full grid", () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 20, noNaN: true }), fc.double({ min: 0, max: 20, noNaN: true }), (home, away) => {
      const odds = matchOdds(home, away);
      expect(Math.abs(sumOf(odds) - 1)).toBeLessThan(1e-9);
      expectClose(odds, gridOdds(home, away));
    }),
    { numRuns: 200 },
  );
});

test("more goals expected of the home team: a home win gets likelier, an away win less likely", () => {
  let previous = matchOdds(0, 1.3);
  for (let home = 0.25; home <= 20; home += 0.25) {
    const odds = matchOdds(home, 1.3);
    expect(odds.homeWin).toBeGreaterThan(previous.homeWin);
    expect(odds.awayWin).toBeLessThan(previous.awayWin);
    previous = odds;
  }
});

test("expectations far beyond football's still give a distribution (up to the documented bound)", () => {
  for (const [home, away] of [
    [150, 150],
    [maxExpectedGoals, maxExpectedGoals - 50],
  ] as const) {
    const odds = matchOdds(home, away);
    expect(Math.abs(sumOf(odds) - 1)).toBeLessThan(1e-9);
    // The series of skellamDraw overflows here; the grid, to 1000 goals a team, does not.
    expectClose(odds, gridOdds(home, away, 1_000), 1e-9);
  }
  const even = matchOdds(maxExpectedGoals, maxExpectedGoals);
  expect(even.homeWin).toBe(even.awayWin);
});

test("an expectation that is negative, not a number, infinite or above the bound is a RangeError", () => {
  for (const bad of [-1, -Number.MIN_VALUE, Number.NaN, Number.POSITIVE_INFINITY, maxExpectedGoals + 1]) {
    expect(() => matchOdds(bad, 1)).toThrow(RangeError);
    expect(() => matchOdds(1, bad)).toThrow(RangeError);
  }
  expect(() => matchOdds(-1, 1)).toThrow("home expectation must be between 0 and 700 goals, got -1");
});
