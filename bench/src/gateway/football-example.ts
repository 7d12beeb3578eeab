// The football example's built modules (examples/football/dist, from `npm run build`), loaded by
// path: the example is a program of its own, not a dependency of the benchmark, so its types are
// restated here as narrowly as the benchmark uses them.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { NatsConnection } from "@nats-io/nats-core";
import { rootDirectory } from "../bench-paths.js";

/** The example's directory. */
export const footballDirectory = join(rootDirectory, "examples", "football");

/** The example's `football` command (the generated CLI), as `npx football` runs it. */
export const footballProgram = join(footballDirectory, "bin", "football.js");

/** The URL path of football.v1.Football/Predict in the gateway (its google.api.http rule). */
export const footballPath = "/football";

/** The seed's request body, as its `post_data.json` holds it. */
export const footballRequestBody = '{"game_id": "x", "home_expected": 1.4, "away_expected": 1.1}';

/** The request of {@link footballRequestBody}, as a generated client takes it. */
export const footballRequest = { gameId: "x", homeExpected: 1.4, awayExpected: 1.1 } as const;

/** `matchOdds` of examples/football/src/match-odds.ts. */
export type MatchOdds = (homeExpected: number, awayExpected: number) => { homeWin: number; awayWin: number; draw: number };

/** The part of the generated `FootballClient` the benchmark calls. */
export interface FootballClient {
  predict(request: typeof footballRequest): Promise<{ gameId: string; homeTowin: number; awayTowin: number; draw: number }>;
}

/** Loads the example's `matchOdds`. */
export async function loadMatchOdds(): Promise<MatchOdds> {
  const module = (await import(pathToFileURL(join(footballDirectory, "dist", "match-odds.js")).href)) as { matchOdds: MatchOdds };
  return module.matchOdds;
}

/** Loads the generated `FootballClient` and makes one on the connection. */
export async function createFootballClient(nc: NatsConnection): Promise<FootballClient> {
  const module = (await import(pathToFileURL(join(footballDirectory, "dist", "gen", "football", "v1", "football_nats.js")).href)) as {
    FootballClient: new (connection: NatsConnection) => FootballClient;
  };
  return new module.FootballClient(nc);
}
