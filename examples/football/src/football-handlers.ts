import { Code, RpcError } from "nats-micro-runtime";
import type { FootballHandlers } from "./gen/football/v1/football_nats.js";
import { matchOdds } from "./match-odds.js";

/**
 * The football worker: what a user writes by hand (the math is in match-odds.ts). serveFootball
 * and `football serve` check the request's buf.validate rules (football.proto) before it gets here.
 */
export const footballHandlers: FootballHandlers = {
  // Synchronous: the grid takes microseconds, and a plain return spares a promise per request.
  predict(request) {
    let odds;
    try {
      odds = matchOdds(request.homeExpected, request.awayExpected);
    } catch (error) {
      // Only reachable when served without the validation rules (createHost with the descriptor).
      throw error instanceof RangeError ? new RpcError(error.message, Code.InvalidArgument) : error;
    }
    return { gameId: request.gameId, homeTowin: odds.homeWin, awayTowin: odds.awayWin, draw: odds.draw };
  },
};
