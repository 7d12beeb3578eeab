// The metrobus example (seed 002) end to end, as `make metrobus` runs it: a nats-server with
// JetStream, the data files made and loaded by the example's scripts, two `metrobus serve
// --pipeline` processes (every stop twice), the pusher, and `metrobus pipeline status`. Every record
// pushed is accounted for (dropped at a stop, delivered by the sink, or dead-lettered), each stop's
// count is what the seeded records and data say it must be, and the page in Chromium shows them.
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from "@jest/globals";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accountRecord, seededRandom } from "../../examples/metrobus/src/account-records.js";
import { parseEmailsFile, parseWhitelistFile } from "../../examples/metrobus/src/lookup-data.js";
import { routeForState } from "../../examples/metrobus/src/metrobus-handlers.js";
import type { PipelineStatus, StopStatus } from "../../runtime/src/pipeline/index.js";
import { launchBrowser, readStatusTable, type TestBrowser } from "../helpers/browser.js";
import { startCli, type RunningCli } from "../helpers/cli-process.js";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";
import { rootDirectory } from "../helpers/paths.js";
import { runProcess } from "../helpers/run-process.js";

jest.setTimeout(120_000);

const example = join(rootDirectory, "examples", "metrobus");
const metrobus = join(example, "bin", "metrobus.js");
const pusher = join(example, "bin", "metrobus-pusher.js");
const stops = ["BusDriver", "ContactPoint", "Whitelist", "LogStop"] as const;

// Small data, so that every kind of record comes up in a few hundred.
const accounts = 200;
const dataSeed = 11;
const pushSeed = 5;
const pushed = 300;

let server: NatsProcess;
let dataDirectory: string;
const processes: RunningCli[] = [];
let browser: TestBrowser | undefined;

beforeAll(async () => {
  server = await startNatsProcess({ name: "metrobus", jetStream: true });
  dataDirectory = await mkdtemp(join(tmpdir(), "metrobus-data-"));
});

afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await Promise.all(processes.splice(0).map((process) => process.kill()));
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDirectory, { recursive: true, force: true });
});

async function runScript(script: string, args: readonly string[]): Promise<string> {
  const result = await runProcess(process.execPath, [join(example, "scripts", script), ...args], { timeoutMs: 30_000 });
  expect({ script, exitCode: result.exitCode, stderr: result.stderr }).toEqual({ script, exitCode: 0, stderr: "" });
  return result.stdout;
}

function start(args: readonly string[]): RunningCli {
  const cli = startCli(metrobus, [...args, "--server", server.url]);
  processes.push(cli);
  return cli;
}

/** Where each pushed record must end, from the seeded records and the data files: the stop that drops it, or the sink. */
function expectedOutcomes(emails: ReadonlyMap<string, string>, whitelist: ReadonlySet<string>): { dropped: Record<string, number>; delivered: number } {
  const random = seededRandom(pushSeed);
  const dropped: Record<string, number> = { BusDriver: 0, ContactPoint: 0, Whitelist: 0, LogStop: 0 };
  let delivered = 0;
  for (let index = 0; index < pushed; index += 1) {
    const record = accountRecord(random, { accounts });
    const plan = routeForState(record.state!);
    const email = emails.get(record.accountId!);
    if (plan === undefined) {
      dropped["BusDriver"]! += 1;
    } else if (plan.route !== "declared") {
      delivered += 1; // closed accounts go straight to the sink
    } else if (email === undefined) {
      dropped["ContactPoint"]! += 1;
    } else if (!whitelist.has(email)) {
      dropped["Whitelist"]! += 1;
    } else {
      delivered += 1;
    }
  }
  return { dropped, delivered };
}

// Each stop's counters, without its latency (which moves with every poll of a quiet stop too).
function countersOf(snapshot: PipelineStatus): unknown[] {
  return snapshot.stops.map(({ name, received, forwarded, dropped, failed, dead_lettered, completed }) => ({ name, received, forwarded, dropped, failed, dead_lettered, completed }));
}

async function status(url: string): Promise<PipelineStatus> {
  const response = await fetch(`${url}status.json`);
  return (await response.json()) as PipelineStatus;
}

const stopNamed = (snapshot: PipelineStatus, name: string): StopStatus | undefined => snapshot.stops.find((stop) => stop.name === name);
const sum = (snapshot: PipelineStatus, field: "dropped" | "dead_lettered") => snapshot.stops.reduce((total, stop) => total + stop[field], 0);

describe("metrobus", () => {
  test("every pushed record is dropped at the stop that should drop it, delivered by the sink, or dead-lettered; the page in Chromium shows the counts", async () => {
    expect(await runScript("make-data.mjs", ["--accounts", String(accounts), "--seed", String(dataSeed), "--out", dataDirectory])).toMatch(/emails\.dat: \d+ of 200 accounts/);
    expect(await runScript("load-data.mjs", ["--server", server.url, "--data", dataDirectory])).toMatch(/^loaded \d+ emails and \d+ whitelisted emails/);
    const emails = parseEmailsFile(await readFile(join(dataDirectory, "emails.dat"), "utf8"));
    const whitelist = new Set(parseWhitelistFile(await readFile(join(dataDirectory, "whitelist.dat"), "utf8")));
    const expected = expectedOutcomes(emails, whitelist);
    // The data and the seed make every kind of record.
    expect(Object.values(expected.dropped).filter((count) => count > 0).length).toBe(3);

    // Every stop twice: two processes share each stop's consumer.
    const instances = [start(["serve", "--pipeline"]), start(["serve", "--pipeline"])];
    await Promise.all(instances.map((instance) => instance.waitForLog((line) => line.msg === "serving", 20_000)));
    const page = start(["pipeline", "status", "--port", "0", "--pipeline", "Notify", "--order", stops.join(","), "--interval", "200"]);
    const url = String((await page.waitForLog((line) => line.msg === "pipeline status page serving"))["url"]);

    const pushing = await runProcess(process.execPath, [pusher, "--server", server.url, "--count", String(pushed), "--rate", "0", "--accounts", String(accounts), "--seed", String(pushSeed)], {
      timeoutMs: 60_000,
    });
    expect({ exitCode: pushing.exitCode, stderr: pushing.stderr }).toEqual({ exitCode: 0, stderr: "" });
    expect(JSON.parse(pushing.stdout)).toMatchObject({ msg: "pushed", pushed });

    // Until every record is accounted for; then nothing more may move.
    let last: PipelineStatus | undefined;
    await waitUntil(
      "every pushed record to be dropped, delivered or dead-lettered",
      async () => {
        last = await status(url);
        return sum(last, "dropped") + (stopNamed(last, "LogStop")?.completed ?? 0) + sum(last, "dead_lettered") >= pushed;
      },
      60_000,
    );
    // The page asks each process for its counters in turn, so one snapshot may hold a stop's
    // counters from before its last message beside the next stop's from after it: the final
    // figures are those that stay the same over a few polls (200 ms each).
    let final = last!;
    await waitUntil(
      "the counters to stay the same over a second",
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const next = await status(url);
        const settled = JSON.stringify(countersOf(next)) === JSON.stringify(countersOf(final));
        final = next;
        return settled;
      },
      20_000,
    );
    expect(final.stops.map((stop) => stop.name)).toEqual([...stops]);
    expect(sum(final, "dropped") + stopNamed(final, "LogStop")!.completed + sum(final, "dead_lettered")).toBe(pushed);
    expect(stopNamed(final, "BusDriver")!.received).toBe(pushed);
    for (const stop of stops) {
      expect({ stop, dropped: stopNamed(final, stop)!.dropped, dead: stopNamed(final, stop)!.dead_lettered, instances: stopNamed(final, stop)!.instances }).toEqual({
        stop,
        dropped: expected.dropped[stop],
        dead: 0,
        instances: 2,
      });
    }
    expect(stopNamed(final, "LogStop")!.completed).toBe(expected.delivered);
    // The sink logged each delivered record once, in one process or the other (its last lines may still be on their way here).
    const deliveredLines = () => instances.flatMap((instance) => instance.logs.filter((line) => line.msg === "delivered"));
    await waitUntil("the sink's log lines to arrive", () => deliveredLines().length >= expected.delivered);
    expect(deliveredLines()).toHaveLength(expected.delivered);

    // The page, as a person sees it, shows the same numbers.
    browser = await launchBrowser();
    const tab = await browser.open(url);
    await tab.locator('td[data-stop="LogStop"][data-field="completed"]', { hasText: String(expected.delivered) }).waitFor({ timeout: 10_000 });
    const table = await readStatusTable(tab);
    for (const stop of stops) {
      expect({ stop, ...table[stop] }).toMatchObject({
        stop,
        received: stopNamed(final, stop)!.received,
        forwarded: stopNamed(final, stop)!.forwarded,
        dropped: expected.dropped[stop],
        dead_lettered: 0,
        instances: 2,
      });
    }
    expect(table["LogStop"]?.["completed"]).toBe(expected.delivered);
  });
});
