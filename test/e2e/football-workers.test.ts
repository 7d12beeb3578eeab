// The football example's workers on a real nats-server: two instances of the generated
// serveFootball sharing the requests of the generated client, the seed's JSON body as a gateway
// would send it, the buf.validate rules; and `football serve --workers 2` as a real process.
import { join } from "node:path";
import { Code, RpcError, type InfoResponse, type ServiceHost } from "nats-micro-runtime";
import { violationsOf } from "nats-micro-runtime/validation";
import { footballHandlers } from "../../examples/football/src/football-handlers.js";
import { matchOdds } from "../../examples/football/src/match-odds.js";
import { FootballClient, serveFootball, type FootballHandlers } from "../../examples/football/src/gen/football/v1/football_nats.js";
import { runCli, startCli, type LogLine } from "../helpers/cli-process.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";
import { rootDirectory } from "../helpers/paths.js";
import { headerRecord, rawRequest } from "../helpers/raw-nats.js";

/** The example's `football` program, as `npx football` runs it. */
const footballProgram = join(rootDirectory, "examples", "football", "bin", "football.js");
const subject = "football.v1.Football.Predict";

const fixture = useNatsFixture({ hostConnections: 2 });
// One connection per host, as separate worker processes would have.
const { hosts, hostConnections, processes } = fixture;

async function serveTwo(handlers: FootballHandlers = footballHandlers): Promise<ServiceHost[]> {
  hosts.push(...(await Promise.all(hostConnections.map((connection) => serveFootball(connection, handlers)))));
  return hosts;
}

const requestsOf = (host: ServiceHost) => host.stats().endpoints.reduce((sum, endpoint) => sum + endpoint.num_requests, 0);

test("two workers in queue group q share 100 predictions, each the Poisson model's to the last bit", async () => {
  const [first, second] = await serveTwo();
  const football = new FootballClient(fixture.nc, { timeoutMs: 5_000 });
  const requests = Array.from({ length: 100 }, (_, index) => ({ gameId: `game-${index}`, homeExpected: (index % 21) * 0.9, awayExpected: (index % 13) * 1.4 }));
  const replies = await Promise.all(requests.map((request) => football.predict(request)));
  replies.forEach((reply, index) => {
    const request = requests[index]!;
    const odds = matchOdds(request.homeExpected, request.awayExpected);
    expect(reply).toMatchObject({ gameId: request.gameId, homeTowin: odds.homeWin, awayTowin: odds.awayWin, draw: odds.draw });
    expect(Math.abs(reply.homeTowin + reply.awayTowin + reply.draw - 1)).toBeLessThan(1e-9);
  });
  expect(requestsOf(first!)).toBeGreaterThan(0);
  expect(requestsOf(second!)).toBeGreaterThan(0);
  expect(requestsOf(first!) + requestsOf(second!)).toBe(100);
  expect(first!.definition.endpoints.map((endpoint) => [endpoint.subject, endpoint.queueGroup])).toEqual([[subject, "q"]]);
});

test("the seed's JSON body, snake_case keys and all, is answered in JSON with the proto's JSON names", async () => {
  await serveTwo();
  for (const body of [
    '{"game_id": "qwertyui", "home_expected": 0.1, "away_expected": 1}',
    '{"gameId": "qwertyui", "homeExpected": 0.1, "awayExpected": 1}',
  ]) {
    const reply = await rawRequest(fixture.nc, subject, body, { "Content-Type": "application/json" });
    expect(headerRecord(reply)["Nats-Service-Error-Code"]).toBeUndefined();
    const odds = matchOdds(0.1, 1);
    expect(JSON.parse(reply.string())).toEqual({ gameId: "qwertyui", homeTowin: odds.homeWin, awayTowin: odds.awayWin, draw: odds.draw });
  }
});

test("the seed's invalid body and every broken rule: invalid_argument with the violations, before the handler", async () => {
  let handled = 0;
  await serveTwo({
    predict: (request, context) => {
      handled++;
      return footballHandlers.predict(request, context);
    },
  });
  const seedInvalid = await rawRequest(fixture.nc, subject, '{"game_id": "qwertyui", "home_expected": "0.1", "away_expected": -1}', { "Content-Type": "application/json" });
  expect(headerRecord(seedInvalid)["Nats-Service-Error-Code"]).toBe("400");
  expect(headerRecord(seedInvalid)["Nats-Service-Error"]).toBe("invalid request: away_expected: must be greater than or equal to 0 and less than or equal to 20");

  const football = new FootballClient(fixture.nc);
  const rejected = async (request: { gameId: string; homeExpected: number; awayExpected: number }) => {
    const error = await football.predict(request).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.InvalidArgument);
    return violationsOf(error as RpcError).map(({ field, ruleId }) => `${field} ${ruleId}`);
  };
  expect(await rejected({ gameId: "", homeExpected: 1, awayExpected: 1 })).toEqual(["game_id string.min_len"]);
  expect(await rejected({ gameId: "g", homeExpected: -0.5, awayExpected: 20.5 })).toEqual(["home_expected double.gte_lte", "away_expected double.gte_lte"]);
  expect(await rejected({ gameId: "g", homeExpected: Number.POSITIVE_INFINITY, awayExpected: 1 })).toContain("home_expected double.finite");
  expect(await rejected({ gameId: "g", homeExpected: 1, awayExpected: Number.NaN })).toContain("away_expected double.finite");
  // The bounds themselves are allowed.
  expect((await football.predict({ gameId: "g", homeExpected: 0, awayExpected: 20 })).awayTowin).toBeGreaterThan(0.99);
  // Only that last request reached a handler.
  expect(handled).toBe(1);
});

test("`football serve --workers 2`: two processes in one queue group, called by `football call` and the client", async () => {
  const cli = startCli(footballProgram, ["serve", "--workers", "2", "--server", fixture.server.url]);
  processes.push(cli);
  const serving = (): LogLine[] => cli.logs.filter((line) => line.msg === "serving");
  await cli.waitForLog(() => serving().length >= 2, 15_000);
  const instances = serving().map((line) => String(line["instance"]));

  const call = await runCli(footballProgram, ["call", "predict", '{"game_id": "qwertyui", "home_expected": 0.1, "away_expected": 1}', "--server", fixture.server.url]);
  expect(call.stderr).toBe("");
  expect(call.exitCode).toBe(0);
  const odds = matchOdds(0.1, 1);
  expect(JSON.parse(call.stdout)).toEqual({ gameId: "qwertyui", homeTowin: odds.homeWin, awayTowin: odds.awayWin, draw: odds.draw });

  // 40 calls reach both processes (all on one: a chance of 2^-39).
  const football = new FootballClient(fixture.nc, { timeoutMs: 5_000 });
  for (let index = 0; index < 40; index++) {
    await football.predict({ gameId: String(index), homeExpected: 1.2, awayExpected: 0.8 });
  }
  const info = JSON.parse((await runCli(footballProgram, ["info", "--json", "--server", fixture.server.url])).stdout) as InfoResponse[];
  expect(info.map((reply) => reply.id).sort()).toEqual([...instances].sort());
  const stats = JSON.parse((await runCli(footballProgram, ["stats", "--json", "--server", fixture.server.url])).stdout) as { id: string; endpoints: { num_requests: number }[] }[];
  expect(stats).toHaveLength(2);
  for (const reply of stats) {
    expect(reply.endpoints[0]!.num_requests).toBeGreaterThan(0);
  }
});
