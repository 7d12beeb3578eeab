// The baseline of the gateway benchmark: the football computation served by fastify in one
// process, with the gateway's JSON in and out (proto field names), as a fastify user would write
// it: a JSON schema for the body (what the workers' buf.validate rules check) and one for the
// reply (fastify then serialises with fast-json-stringify).
import Fastify from "fastify";
import { runServerProcess } from "../servers/server-process.js";
import { footballPath, loadMatchOdds } from "./football-example.js";

interface PredictBody {
  game_id: string;
  home_expected: number;
  away_expected: number;
}

const expectation = { type: "number", minimum: 0, maximum: 20 } as const;

await runServerProcess(async () => {
  const matchOdds = await loadMatchOdds();
  const app = Fastify({ logger: false });
  app.post<{ Body: PredictBody }>(
    footballPath,
    {
      schema: {
        body: {
          type: "object",
          required: ["game_id", "home_expected", "away_expected"],
          properties: { game_id: { type: "string", minLength: 1, maxLength: 256 }, home_expected: expectation, away_expected: expectation },
        },
        response: {
          200: {
            type: "object",
            properties: { game_id: { type: "string" }, home_towin: { type: "number" }, away_towin: { type: "number" }, draw: { type: "number" } },
          },
        },
      },
    },
    // Synchronous work, as in the example's handler; fastify awaits the async function's promise.
    async (request) => {
      const odds = matchOdds(request.body.home_expected, request.body.away_expected);
      return { game_id: request.body.game_id, home_towin: odds.homeWin, away_towin: odds.awayWin, draw: odds.draw };
    },
  );
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") {
    throw new Error("fastify did not report a TCP address");
  }
  return { address: `http://127.0.0.1:${address.port}`, stop: () => app.close() };
});
