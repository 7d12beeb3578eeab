// Seed 001 rebuilt: the football REST gateway as real processes (`football serve --workers 2` and
// `football gateway`) on a real nats-server, called over HTTP as the seed's curl and ab do: the
// seed's shapes, odds checked against an independent computation, invalid input answered 400 with
// the seed's `{game_id, error}`, and both workers sharing the load.
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { createInbox, type NatsConnection } from "@nats-io/nats-core";
import type { StatsResponse } from "nats-micro-runtime";
import { startCli, type RunningCli } from "../helpers/cli-process.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { rootDirectory } from "../helpers/paths.js";

const footballProgram = join(rootDirectory, "examples", "football", "bin", "football.js");

let server: NatsServer;
let nc: NatsConnection;
let workers: RunningCli;
let gateway: RunningCli;
let url: string;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  workers = startCli(footballProgram, ["serve", "--workers", "2", "--server", server.url]);
  gateway = startCli(footballProgram, ["gateway", "--listen", "127.0.0.1:0", "--server", server.url]);
  await workers.waitForLog((line) => line.msg === "serving" && workers.logs.filter((other) => other.msg === "serving").length === 2);
  url = (await gateway.waitForLog((line) => line.msg === "gateway serving")).url as string;
}, 30_000);

afterAll(async () => {
  await Promise.all([workers.kill(), gateway.kill()]);
  await nc.close();
  await server.stop();
});

// As the seed's curl sends it: --data, so Content-Type application/x-www-form-urlencoded.
async function post(body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}/football`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

// Home win, away win and draw from a grid of Poisson probabilities with factorials from
// log-gamma sums, over 0..80 goals each: another way to the same numbers than the example's.
function expectedOdds(home: number, away: number): { home: number; away: number; draw: number } {
  const logFactorial = (k: number) => Array.from({ length: k }, (_, index) => Math.log(index + 1)).reduce((sum, value) => sum + value, 0);
  const poisson = (lambda: number, k: number) => (lambda === 0 ? (k === 0 ? 1 : 0) : Math.exp(k * Math.log(lambda) - lambda - logFactorial(k)));
  const odds = { home: 0, away: 0, draw: 0 };
  for (let i = 0; i <= 80; i++) {
    for (let j = 0; j <= 80; j++) {
      const p = poisson(home, i) * poisson(away, j);
      if (i > j) odds.home += p;
      else if (i < j) odds.away += p;
      else odds.draw += p;
    }
  }
  return odds;
}

test("the seed's valid request: its reply shape, odds that sum to 1 and match an independent computation", async () => {
  for (const [home, away] of [
    [0.1, 1],
    [1.4, 1.1],
    [0, 0],
    [3.7, 0.2],
  ] as const) {
    const reply = await post(JSON.stringify({ game_id: "qwertyui", home_expected: home, away_expected: away }));
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.json).sort()).toEqual(["away_towin", "draw", "game_id", "home_towin"]);
    expect(reply.json.game_id).toBe("qwertyui");
    const { home_towin: homeWin, away_towin: awayWin, draw } = reply.json as { home_towin: number; away_towin: number; draw: number };
    expect(Math.abs(homeWin + awayWin + draw - 1)).toBeLessThan(1e-9);
    const expected = expectedOdds(home, away);
    expect(homeWin).toBeCloseTo(expected.home, 9);
    expect(awayWin).toBeCloseTo(expected.away, 9);
    expect(draw).toBeCloseTo(expected.draw, 9);
  }
});

test.each([
  ["the seed's invalid sample", '{"game_id": "qwertyui", "home_expected": "0.1", "away_expected": -1}', "qwertyui", /away_expected/],
  ["a string that is no number", '{"game_id": "g1", "home_expected": "lots", "away_expected": 1}', "g1", /home_expected/],
  ["a negative expectation", '{"game_id": "g2", "home_expected": -0.5, "away_expected": 1}', "g2", /home_expected: must be greater than or equal to 0/],
  ["a missing game_id", '{"home_expected": 1, "away_expected": 1}', "", /game_id/],
  ["an empty game_id", '{"game_id": "", "home_expected": 1, "away_expected": 1}', "", /game_id/],
  ["a body that is not JSON", "home=1&away=2", "", /JSON/],
  ["an unknown field", '{"game_id": "g3", "home_expected": 1, "away_expected": 1, "venue": "x"}', "g3", /venue/],
])("%s is 400 with the seed's {game_id, error}", async (_name, body, gameId, error) => {
  const reply = await post(body);
  expect(reply.status).toBe(400);
  expect(Object.keys(reply.json).sort()).toEqual(["error", "game_id"]);
  expect(reply.json.game_id).toBe(gameId);
  expect(reply.json.error).toMatch(error);
});

test("both workers serve, and the gateway keeps serving after bad input", async () => {
  const replies = await Promise.all(Array.from({ length: 200 }, (_, index) => post(JSON.stringify({ game_id: `g${index}`, home_expected: (index % 30) / 10, away_expected: 1 }))));
  expect(replies.every((reply) => reply.status === 200)).toBe(true);
  expect(replies.map((reply) => reply.json.game_id)).toEqual(Array.from({ length: 200 }, (_, index) => `g${index}`));
  // Every instance of the service answers $SRV.STATS; each must have served some of them.
  const stats: StatsResponse[] = [];
  const inbox = createInbox();
  const answers = nc.subscribe(inbox, { max: 2, timeout: 5000 });
  nc.publish("$SRV.STATS.Football", new Uint8Array(0), { reply: inbox });
  for await (const message of answers) {
    stats.push(message.json<StatsResponse>());
  }
  expect(stats).toHaveLength(2);
  for (const instance of stats) {
    expect(instance.endpoints[0]!.num_requests).toBeGreaterThan(0);
  }
});

test("the gateway serves the plugin's OpenAPI document, and is ready", async () => {
  const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, { post?: { description?: string } }> };
  expect(document.paths["/football"]?.post?.description).toContain("Predict returns the probabilities");
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
});
