// The generated command line as a real process: the example's `calc` program (example/bin/calc.js,
// generated with cli_handlers) serving, calling and discovering against a real nats-server.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calcProgram, runCli, startCli, type RunningCli } from "../helpers/cli-process.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { promtoolCheck } from "../helpers/promtool.js";

let server: NatsServer;
let serving: RunningCli[] = [];
let directory: string;

beforeAll(async () => {
  server = await startNatsServer();
  directory = await mkdtemp(join(tmpdir(), "calc-cli-"));
});

afterEach(async () => {
  await Promise.all(serving.splice(0).map((cli) => cli.kill()));
});

afterAll(async () => {
  await server.stop();
  await rm(directory, { recursive: true, force: true });
});

/** Starts `calc serve` and waits until it serves. */
async function serve(...args: string[]): Promise<RunningCli> {
  const cli = startCli(calcProgram, ["serve", "--server", server.url, ...args]);
  serving.push(cli);
  await cli.waitForLog((line) => line.msg === "serving");
  return cli;
}

const calc = (...args: string[]) => runCli(calcProgram, [...args, "--server", server.url]);

describe("help", () => {
  test("the program lists its commands and the methods with their proto comments", async () => {
    const result = await runCli(calcProgram, ["--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Calc does arithmetic on lists of numbers.");
    for (const command of ["serve", "call", "ping", "info", "stats"]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
    expect(result.stdout).toMatch(/^ {2}average +Average returns the arithmetic mean of the values\. \(calc\.v1\.Calc\.Average\)$/m);
    expect(result.stdout).toMatch(/^ {2}sum +Sum adds the values up; the sum of no values is 0\. \(calc\.v1\.Calc\.Sum\)$/m);
    expect(result.stdout).toContain("--server <url>");
  });

  test("call --help lists the methods, and a method's help shows its comment and request fields", async () => {
    const call = await runCli(calcProgram, ["call", "--help"]);
    expect(call.exitCode).toBe(0);
    expect(call.stdout).toMatch(/average\s+Average returns the arithmetic mean/);
    const method = await runCli(calcProgram, ["call", "average", "--help"]);
    expect(method.exitCode).toBe(0);
    expect(method.stdout).toContain("Fails with INVALID_ARGUMENT when there are no values.");
    expect(method.stdout).toContain("Subject: calc.v1.Calc.Average");
    expect(method.stdout).toMatch(/Request: calc\.v1\.AverageRequest\n {2}values {2}repeated float/);
    expect(method.stdout).toContain("Reply: calc.v1.CalcResponse");
  });

  test("--version prints the service version", async () => {
    const result = await runCli(calcProgram, ["--version"]);
    expect(result).toMatchObject({ exitCode: 0, stdout: "0.0.0\n" });
  });
});

describe("call", () => {
  beforeEach(async () => {
    await serve();
  });

  test("takes the request as JSON from the argument and prints the reply as JSON", async () => {
    const result = await calc("call", "sum", '{"values": [1, 2, 3.5]}');
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ operation: "sum", result: 6.5 });
  });

  test("takes the request from a file, from standard input, or none at all", async () => {
    const file = join(directory, "request.json");
    await writeFile(file, '{"values": [2, 4]}');
    const fromFile = await calc("call", "average", "--file", file);
    expect(fromFile.exitCode).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toEqual({ operation: "average", result: 3 });

    const fromStdin = await runCli(calcProgram, ["call", "Sum", "-", "--server", server.url], { input: '{"values": [5, 6]}' });
    expect(fromStdin.exitCode).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toEqual({ operation: "sum", result: 11 });

    // No request: {}; fields at their default value are printed unless asked not to.
    const empty = await calc("call", "sum");
    expect(JSON.parse(empty.stdout)).toEqual({ operation: "sum", result: 0 });
    const trimmed = await calc("call", "sum", "--no-emit-defaults");
    expect(JSON.parse(trimmed.stdout)).toEqual({ operation: "sum" });
  });

  test("sends JSON on the wire when asked to", async () => {
    const result = await calc("call", "sum", '{"values": [1]}', "--encoding", "json");
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ operation: "sum", result: 1 });
  });

  test("an error reply prints its code and message on stderr, and each broken validation rule on a line, and exits with 64 + the gRPC code", async () => {
    const result = await calc("call", "average", '{"values": []}');
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("error: invalid_argument: invalid request: values: must contain at least 1 item(s)\n  values: must contain at least 1 item(s) [repeated.min_items]\n");
    expect(result.exitCode).toBe(67);
  });

  test("a request that is not valid JSON for the message fails before anything is sent", async () => {
    const result = await calc("call", "sum", '{"valuez": [1]}');
    expect(result.exitCode).toBe(67);
    expect(result.stderr).toMatch(/^error: invalid_argument: request from the argument is not a valid calc\.v1\.SumRequest in JSON: .*"valuez" is unknown\n$/);
    const notJson = await calc("call", "sum", "{values");
    expect(notJson.exitCode).toBe(67);
    expect(notJson.stderr).toMatch(/^error: invalid_argument: request from the argument is not a valid calc\.v1\.SumRequest in JSON/);
    const missingFile = await calc("call", "sum", "--file", join(directory, "missing.json"));
    expect(missingFile.exitCode).toBe(67);
    expect(missingFile.stderr).toContain("cannot read request file");
  });

  test("an unknown method is a usage error that shows the methods", async () => {
    const result = await calc("call", "multiply", "{}");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("unknown command 'multiply'");
    expect(result.stderr).toMatch(/average\s+Average returns/);
  });
});

describe("call failures", () => {
  test("with no instance running, the call fails at once with unavailable (78)", async () => {
    const startedAt = Date.now();
    const result = await calc("call", "sum", "{}", "--timeout", "10000");
    expect(Date.now() - startedAt).toBeLessThan(8_000);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toBe("error: unavailable: no service instance is listening on calc.v1.Calc.Sum\n");
  });

  test("an unreachable server gives one line and unavailable (78)", async () => {
    const result = await runCli(calcProgram, ["call", "sum", "--server", "nats://127.0.0.1:1"]);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toBe("error: unavailable: cannot connect to nats://127.0.0.1:1: connection refused\n");
  });

  test("bad flags are usage errors (2) with a clear message", async () => {
    const unknown = await runCli(calcProgram, ["call", "sum", "--bogus"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    const badNumber = await runCli(calcProgram, ["serve", "--workers", "none"]);
    expect(badNumber.exitCode).toBe(2);
    expect(badNumber.stderr).toContain(`option '-w, --workers <count>' argument 'none' is invalid. "none" is not a whole number`);
    const badChoice = await runCli(calcProgram, ["call", "sum", "--encoding", "xml"]);
    expect(badChoice.exitCode).toBe(2);
    expect(badChoice.stderr).toContain("Allowed choices are binary, json");
  });
});

describe("credentials", () => {
  let secured: NatsServer;

  beforeAll(async () => {
    secured = await startNatsServer('authorization { user: "calc", password: "right" }');
  });

  afterAll(async () => {
    await secured.stop();
  });

  test("a wrong password gives one line and unauthenticated (80); the right one works", async () => {
    const wrong = await runCli(calcProgram, ["ping", "--server", secured.url, "--user", "calc", "--password", "wrong"]);
    expect(wrong.exitCode).toBe(80);
    expect(wrong.stderr).toBe(`error: unauthenticated: authentication failed for user "calc" at ${secured.url}: wrong user or password\n`);

    const cli = startCli(calcProgram, ["serve", "--server", secured.url], { env: { NATS_USER: "calc", NATS_PASSWORD: "right" } });
    serving.push(cli);
    await cli.waitForLog((line) => line.msg === "serving");
    const right = await runCli(calcProgram, ["call", "sum", '{"values":[2]}', "--server", secured.url, "--user", "calc", "--password", "right"]);
    expect(right.exitCode).toBe(0);
    expect(JSON.parse(right.stdout)).toEqual({ operation: "sum", result: 2 });
  });

  test("serve with a wrong password exits with unauthenticated, saying why in the log and on stderr", async () => {
    const result = await runCli(calcProgram, ["serve", "--server", secured.url, "--user", "calc", "--password", "wrong"]);
    expect(result.exitCode).toBe(80);
    expect(result.stderr).toBe(`error: unauthenticated: authentication failed for user "calc" at ${secured.url}: wrong user or password\n`);
    const log = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(log).toEqual([expect.objectContaining({ level: "fatal", msg: "cannot serve", code: "unauthenticated" })]);
  });

  test("a creds file that is not one says so", async () => {
    const file = join(directory, "garbage.creds");
    await writeFile(file, "not a creds file\n");
    const result = await runCli(calcProgram, ["ping", "--server", secured.url, "--creds", file]);
    expect(result.exitCode).toBe(67);
    expect(result.stderr).toBe(`error: invalid_argument: creds file ${file} is not a valid credentials file: it needs the user JWT and the nkey seed, as nsc writes them\n`);
  });

  test("a creds file that does not exist is named", async () => {
    const result = await runCli(calcProgram, ["ping", "--server", secured.url, "--creds", join(directory, "nobody.creds")]);
    expect(result.exitCode).toBe(67);
    expect(result.stderr).toBe(`error: invalid_argument: cannot read creds file ${join(directory, "nobody.creds")}: no such file\n`);
  });
});

describe("discovery", () => {
  test("ping, info and stats show every instance, as tables or as JSON", async () => {
    const first = await serve();
    const second = await serve();
    const ids = [first, second].map((cli) => String(cli.logs.find((line) => line.msg === "serving")!["instance"])).sort();

    const ping = await calc("ping");
    expect(ping.exitCode).toBe(0);
    expect(ping.stdout.split("\n")).toEqual(["NAME  VERSION  ID", ...ids.map((id) => `Calc  0.0.0    ${id}`), ""]);

    const info = await calc("info");
    expect(info.exitCode).toBe(0);
    for (const id of ids) {
      expect(info.stdout).toContain(`Calc 0.0.0, instance ${id}: Calc does arithmetic on lists of numbers.`);
    }
    expect(info.stdout).toMatch(/^ {2}Average {3}calc\.v1\.Calc\.Average {2}q$/m);

    await calc("call", "sum", '{"values":[1]}');
    await calc("call", "average", '{"values":[]}');
    const stats = await calc("stats", "--json");
    expect(stats.exitCode).toBe(0);
    const replies = JSON.parse(stats.stdout) as { id: string; endpoints: { name: string; num_requests: number; num_errors: number }[] }[];
    expect(replies.map((reply) => reply.id)).toEqual(ids);
    const total = (name: string, field: "num_requests" | "num_errors") =>
      replies.flatMap((reply) => reply.endpoints).filter((endpoint) => endpoint.name === name).reduce((sum, endpoint) => sum + endpoint[field], 0);
    expect([total("Sum", "num_requests"), total("Average", "num_requests"), total("Average", "num_errors")]).toEqual([1, 1, 1]);

    const table = await calc("stats");
    expect(table.stdout).toMatch(/^ID +ENDPOINT +REQUESTS +ERRORS +AVERAGE TIME +LAST ERROR$/m);
    expect(table.stdout).toMatch(/^ +\(all\) +2 +1$/m);
    expect(table.stdout).toContain("invalid_argument: invalid request: values: must contain at least 1 item(s)");

    const one = await calc("ping", "--id", ids[0]!, "--json");
    expect((JSON.parse(one.stdout) as { id: string }[]).map((reply) => reply.id)).toEqual([ids[0]]);
  });

  test("with no instance running, ping says so and exits with unavailable (78)", async () => {
    const result = await calc("ping", "--wait", "300");
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toBe("error: unavailable: no instance of Calc answered on $SRV.PING.Calc\n");
  });
});

describe("serve", () => {
  test("logs JSON lines: start with endpoints, each request at debug, stop on SIGTERM", async () => {
    const cli = await serve("--log-level", "debug");
    const serving = cli.logs.find((line) => line.msg === "serving")!;
    expect(serving).toMatchObject({
      level: "info",
      service: "Calc",
      version: "0.0.0",
      endpoints: ["Average calc.v1.Calc.Average", "Sum calc.v1.Calc.Sum"],
    });
    expect(typeof serving["time"]).toBe("string");
    await calc("call", "average", '{"values":[]}');
    const request = await cli.waitForLog((line) => line.msg === "request");
    expect(request).toMatchObject({ level: "debug", method: "Average", code: "invalid_argument" });
    expect(typeof request["durationMs"]).toBe("number");

    cli.child.kill("SIGTERM");
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.logs.map((line) => line.msg).slice(-2)).toEqual(["stopping: answering requests in flight", "stopped"]);
  });

  test("at the default level, requests are not logged; LOG_LEVEL sets the level", async () => {
    const quiet = await serve();
    await calc("call", "sum", "{}");
    quiet.child.kill("SIGINT");
    expect(await quiet.exited).toEqual({ code: 0, signal: null });
    expect(quiet.logs.map((line) => line.msg)).toEqual(["serving", "stopping: answering requests in flight", "stopped"]);

    const silent = startCli(calcProgram, ["serve", "--server", server.url], { env: { LOG_LEVEL: "warn" } });
    serving.push(silent);
    await waitForInstances(1);
    silent.child.kill("SIGTERM");
    expect(await silent.exited).toEqual({ code: 0, signal: null });
    expect(silent.logs).toEqual([]);
  });

  test("--metrics-port serves Prometheus metrics that count the calls and pass promtool", async () => {
    const cli = await serve("--metrics-port", "0");
    const url = String(cli.logs.find((line) => line.msg === "serving")!["metrics"]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    await calc("call", "sum", '{"values":[1]}');
    await calc("call", "sum", '{"values":[2]}');
    await calc("call", "average", '{"values":[]}');
    const text = await (await fetch(url)).text();
    expect(text).toContain('nats_rpc_server_requests_total{service="Calc",method="Sum",code="ok"} 2');
    expect(text).toContain('nats_rpc_server_requests_total{service="Calc",method="Average",code="invalid_argument"} 1');
    expect(text).toContain("process_cpu_seconds_total");
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" });
  });
});

// Waits until `count` instances of Calc answer a ping, for processes whose log is switched off.
async function waitForInstances(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ping = await calc("ping", "--json", "--wait", "500");
    if (ping.exitCode === 0 && (JSON.parse(ping.stdout) as unknown[]).length >= count) {
      return;
    }
  }
  throw new Error(`${count} instances did not start within 10 s`);
}
