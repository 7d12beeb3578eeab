/** The probabilities of the three results of a match. They add up to 1. */
export interface MatchOdds {
  /** The home team scores more goals than the away team. */
  readonly homeWin: number;
  /** The away team scores more goals than the home team. */
  readonly awayWin: number;
  /** Both teams score the same number of goals. */
  readonly draw: number;
}

/**
 * The largest expectation {@link matchOdds} accepts. Beyond about 745, e^-λ (the probability of no
 * goals, where the iteration starts) underflows to 0 and every term with it. football.proto
 * allows only up to 20; this bound is for callers of the function itself.
 */
export const maxExpectedGoals = 700;

// How much of each team's goal distribution the grid may leave out: the grid covers all but
// less than 2e-13 of the probability, well below the 1e-9 the results are good to.
const tailMass = 1e-13;

/**
 * The naive Poisson model of a match: each team's goals are Poisson distributed with its
 * expectation, independently of the other's. Sums the correct-score grid
 * P(home = i) · P(away = j) below its diagonal (home win), on it (draw) and above it (away win),
 * with i and j running until each team's remaining tail is below 1e-13, and normalises the three
 * so that they add up to 1.
 *
 * Swapping the expectations swaps `homeWin` and `awayWin` exactly. Throws a `RangeError` for an
 * expectation that is negative, not finite or above {@link maxExpectedGoals}.
 *
 * @example
 * matchOdds(1.5, 1.1); // { homeWin: 0.464…, awayWin: 0.278…, draw: 0.257… }
 */
export function matchOdds(homeExpected: number, awayExpected: number): MatchOdds {
  checkExpectation("home", homeExpected);
  checkExpectation("away", awayExpected);
  // P(home = k) and P(away = k), built term by term (p_k = p_{k-1} · λ / k) so that no factorial
  // or power is ever formed; a term becomes 0 once its team's tail is cut off.
  let home = Math.exp(-homeExpected);
  let away = Math.exp(-awayExpected);
  // P(home < k) and P(away < k).
  let homeBelow = 0;
  let awayBelow = 0;
  let homeWin = 0;
  let awayWin = 0;
  let draw = 0;
  // Step k adds row k of the grid left of the diagonal (P(home = k) · P(away < k)), column k
  // above it, and cell (k, k): the N² cells in N steps, with no array and no subtraction.
  for (let k = 1; home !== 0 || away !== 0; k++) {
    homeWin += home * awayBelow;
    awayWin += away * homeBelow;
    draw += home * away;
    homeBelow += home;
    awayBelow += away;
    home = homeBelow >= 1 - tailMass ? 0 : (home * homeExpected) / k;
    away = awayBelow >= 1 - tailMass ? 0 : (away * awayExpected) / k;
  }
  const total = homeWin + awayWin + draw;
  return { homeWin: homeWin / total, awayWin: awayWin / total, draw: draw / total };
}

function checkExpectation(team: string, expected: number): void {
  // Written so that NaN fails too.
  if (!(expected >= 0 && expected <= maxExpectedGoals)) {
    throw new RangeError(`${team} expectation must be between 0 and ${maxExpectedGoals} goals, got ${expected}`);
  }
}
