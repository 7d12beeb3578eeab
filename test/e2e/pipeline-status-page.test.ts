import { afterEach, describe, expect, test } from "@jest/globals";
import { request } from "node:http";
import { serveStatusPage, type PipelineStatus, type StatusPage } from "../../runtime/src/pipeline/index.js";
import { launchBrowser, readStatusTable, type TestBrowser } from "../helpers/browser.js";
import { calcProgram, startCli } from "../helpers/cli-process.js";
import { handBuiltStops, type HandBuiltStopsInstance } from "../helpers/hand-built-stops.js";
import { useNatsFixture } from "../helpers/nats-fixture.js";

const fixture = useNatsFixture();
const pages: StatusPage[] = [];
const instances: HandBuiltStopsInstance[] = [];
const browsers: TestBrowser[] = [];

afterEach(async () => {
  await Promise.all(browsers.splice(0).map((browser) => browser.close()));
  await Promise.all(pages.splice(0).map((page) => page.close()));
  instances.splice(0).forEach((instance) => instance.stop());
});

async function startPage(options: Parameters<typeof serveStatusPage>[1] = {}): Promise<StatusPage> {
  const page = await serveStatusPage(fixture.nc, { intervalMs: 100, waitMs: 300, ...options });
  pages.push(page);
  return page;
}

function stops(nc = fixture.nc, service = "Mail") {
  const instance = handBuiltStops(nc, service, [
    { name: "contactpoint", endpoint: "AddEmail", pipelines: ["Notify"] },
    { name: "whitelist", endpoint: "CheckWhitelist", pipelines: ["Notify", "Audit"] },
  ]);
  instances.push(instance);
  return instance;
}

async function getJson(url: string): Promise<PipelineStatus & { error?: string }> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as PipelineStatus & { error?: string };
}

// Polls the page's JSON until `check` holds (bounded), and returns what it last saw.
async function statusWhen(page: StatusPage, check: (status: PipelineStatus) => boolean, timeoutMs = 5_000): Promise<PipelineStatus> {
  const deadline = Date.now() + timeoutMs;
  let status = await getJson(`${page.url}status.json`);
  while (!check(status)) {
    if (Date.now() > deadline) {
      throw new Error(`the page never showed what was expected; last: ${JSON.stringify(status)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = await getJson(`${page.url}status.json`);
  }
  return status;
}

describe("pipeline status page", () => {
  test("sums each stop's counters over its instances, shows only stops, and limits itself to a pipeline when asked", async () => {
    const first = stops();
    const second = stops();
    const other = handBuiltStops(fixture.nc, "Sink", [{ name: "logstop", pipelines: ["Notify"] }]);
    instances.push(other);
    Object.assign(first.counters["contactpoint"]!, { received: 10, forwarded: 7, dropped: 2, failed: 1, dead_lettered: 1, latency_ms: { p50: 2, p99: 9 } });
    Object.assign(second.counters["contactpoint"]!, { received: 30, forwarded: 30, dropped: 0, failed: 0, dead_lettered: 0, latency_ms: { p50: 4, p99: 5 } });
    Object.assign(other.counters["logstop"]!, { received: 37, forwarded: 0, completed: 36, dropped: 1, latency_ms: { p50: 1, p99: 1 } });

    const page = await startPage({ order: ["contactpoint", "whitelist", "logstop"] });
    const status = await statusWhen(page, (each) => each.stops.length === 3);
    expect(status.stops.map((stop) => stop.name)).toEqual(["contactpoint", "whitelist", "logstop"]);
    const contactpoint = status.stops[0]!;
    expect(contactpoint).toEqual({
      name: "contactpoint",
      service: "Mail",
      endpoint: "AddEmail",
      pipelines: ["Notify"],
      instances: 2,
      received: 40,
      forwarded: 37,
      completed: 0,
      dropped: 2,
      failed: 1,
      dead_lettered: 1,
      // Medians weighted by what each instance received: (2 * 10 + 4 * 30) / 40; the highest p99.
      latency_ms: { p50: 3.5, p99: 9 },
    });
    expect(status.stops[1]).toMatchObject({ name: "whitelist", instances: 2, received: 0, pipelines: ["Audit", "Notify"] });
    expect(status.stops[2]).toMatchObject({ name: "logstop", service: "Sink", instances: 1, received: 37, completed: 36, dropped: 1 });
    // The endpoint that is no stop reports pipeline counters too, and is left out.
    expect(status.stops.some((stop) => stop.endpoint === "NotAStop")).toBe(false);

    const audit = await startPage({ pipeline: "Audit" });
    const auditStatus = await statusWhen(audit, (each) => each.stops.length > 0);
    expect(auditStatus.pipeline).toBe("Audit");
    expect(auditStatus.stops.map((stop) => stop.name)).toEqual(["whitelist"]);
  });

  test("an instance that goes away leaves the sums, and one that comes is added", async () => {
    const first = stops();
    first.counters["contactpoint"]!.received = 5;
    const page = await startPage();
    await statusWhen(page, (status) => status.stops.find((stop) => stop.name === "contactpoint")?.received === 5);
    const second = stops();
    second.counters["contactpoint"]!.received = 6;
    await statusWhen(page, (status) => status.stops.find((stop) => stop.name === "contactpoint")?.instances === 2);
    expect((await getJson(`${page.url}status.json`)).stops.find((stop) => stop.name === "contactpoint")?.received).toBe(11);
    first.stop();
    const after = await statusWhen(page, (status) => status.stops.find((stop) => stop.name === "contactpoint")?.instances === 1);
    expect(after.stops.find((stop) => stop.name === "contactpoint")?.received).toBe(6);
  });

  test("an instance whose reply comes late now and then keeps its place and its counts", async () => {
    const prompt = stops();
    prompt.counters["contactpoint"]!.received = 4;
    // Every other reply later than the page waits for more replies: that poll does not hear it.
    const late = handBuiltStops(fixture.nc, "Mail", [{ name: "contactpoint", endpoint: "AddEmail", pipelines: ["Notify"] }], { statsDelayMs: (n) => (n % 2 === 0 ? 600 : 0) });
    instances.push(late);
    late.counters["contactpoint"]!.received = 6;
    const page = await startPage({ waitMs: 1_000 });
    const contactpoint = (status: PipelineStatus) => status.stops.find((stop) => stop.name === "contactpoint");
    let seen = await statusWhen(page, (status) => contactpoint(status)?.instances === 2);
    // Polls that miss the late reply show the same sums, poll after poll.
    for (let poll = 0; poll < 6; poll += 1) {
      const previous = seen.updated;
      seen = await statusWhen(page, (status) => status.updated !== previous);
      expect({ poll, ...contactpoint(seen) }).toMatchObject({ poll, instances: 2, received: 10 });
    }
  });

  test("the page in Chromium shows each stop's numbers and follows their changes live, without a reload", async () => {
    const instance = stops();
    Object.assign(instance.counters["contactpoint"]!, { received: 12, forwarded: 9, dropped: 3, latency_ms: { p50: 1.5, p99: 4.25 } });
    const page = await startPage({ order: ["contactpoint", "whitelist"] });
    const browser = await launchBrowser();
    browsers.push(browser);
    const tab = await browser.open(page.url);
    await tab.locator('#state[data-connected="true"]').waitFor({ timeout: 10_000 });
    await tab.locator('td[data-stop="contactpoint"][data-field="received"]', { hasText: "12" }).waitFor({ timeout: 10_000 });
    const before = await readStatusTable(tab);
    expect(before["contactpoint"]).toEqual({ instances: 1, received: 12, forwarded: 9, completed: 0, dropped: 3, failed: 0, dead_lettered: 0, p50: 1.5, p99: 4.25 });
    expect(before["whitelist"]?.["received"]).toBe(0);
    expect(await tab.locator("tbody tr").evaluateAll((rows) => rows.map((row) => (row as unknown as { dataset: Record<string, string> }).dataset["stop"]))).toEqual([
      "contactpoint",
      "whitelist",
    ]);

    Object.assign(instance.counters["contactpoint"]!, { received: 20, forwarded: 14, completed: 1, dropped: 4, failed: 2, dead_lettered: 1 });
    instance.counters["whitelist"]!.received = 15;
    await tab.locator('td[data-stop="whitelist"][data-field="received"]', { hasText: "15" }).waitFor({ timeout: 10_000 });
    const after = await readStatusTable(tab);
    expect(after["contactpoint"]).toMatchObject({ received: 20, forwarded: 14, completed: 1, dropped: 4, failed: 2, dead_lettered: 1 });
    expect(after["whitelist"]?.["received"]).toBe(15);
  });

  test("live clients are capped, and closing the page ends their streams and the server", async () => {
    stops();
    const page = await startPage({ maxClients: 2 });
    const streams = await Promise.all([openStream(`${page.url}events`), openStream(`${page.url}events`)]);
    expect(streams.map((stream) => stream.status)).toEqual([200, 200]);
    // Each gets the status at once, then one per poll.
    await Promise.all(streams.map((stream) => stream.waitFor((text) => (text.match(/event: status/g) ?? []).length >= 2)));
    const third = await openStream(`${page.url}events`);
    expect(third.status).toBe(503);
    third.destroy();

    // A client that leaves frees its place.
    streams[0]!.destroy();
    await waitUntil(async () => (await openStream(`${page.url}events`).then((stream) => (stream.destroy(), stream.status))) === 200);

    const started = Date.now();
    await page.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    await streams[1]!.ended;
    await expect(fetch(`${page.url}status.json`)).rejects.toThrow();
  });

  test("answers 404 for other paths, 405 for other methods, and serves a page with nothing from elsewhere", async () => {
    const page = await startPage();
    expect((await fetch(`${page.url}nothing`)).status).toBe(404);
    expect((await fetch(`${page.url}status.json`, { method: "POST" })).status).toBe(405);
    const html = await fetch(page.url);
    expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html.headers.get("content-security-policy")).toContain("default-src 'none'");
    const text = await html.text();
    expect(text).not.toMatch(/(src|href)="https?:/);
    expect(text).toContain("new EventSource");
  });

  test("replies that are not what a stop reports are left out or counted as zero, and the page keeps serving", async () => {
    const good = stops();
    good.counters["contactpoint"]!.received = 2;
    // An instance of the same stops whose counters are junk, and replies that are no micro service's.
    const encoder = new TextEncoder();
    const answer = (subject: string, body: string) =>
      fixture.nc.subscribe(subject, {
        callback: (_, msg) => {
          msg.respond(encoder.encode(body));
        },
      });
    const junkStats = {
      type: "io.nats.micro.v1.stats_response",
      name: "Mail",
      id: "junk",
      version: "1.0.0",
      metadata: {},
      started: new Date(0).toISOString(),
      endpoints: [{ name: "AddEmail", subject: "x", num_requests: 0, num_errors: 0, last_error: "", processing_time: 0, average_processing_time: 0, data: { pipeline: { received: "many", dropped: -4, forwarded: Number.MAX_VALUE * 2, latency_ms: "slow" } } }],
    };
    const junkInfo = { type: "io.nats.micro.v1.info_response", name: "Mail", id: "junk", version: "1.0.0", metadata: {}, description: "", endpoints: [{ name: "AddEmail", subject: "x", metadata: { "nats.micro.stop": "true", "nats.micro.stop.name": "contactpoint" } }] };
    const subscriptions = [
      answer("$SRV.STATS", JSON.stringify(junkStats)),
      answer("$SRV.INFO", JSON.stringify(junkInfo)),
      answer("$SRV.STATS", "not json"),
      answer("$SRV.STATS", JSON.stringify({ type: "io.nats.micro.v1.stats_response", name: "Odd", id: "odd", endpoints: "none" })),
    ];
    try {
      const page = await startPage();
      const status = await statusWhen(page, (each) => each.stops.find((stop) => stop.name === "contactpoint")?.instances === 2);
      expect(status.stops.find((stop) => stop.name === "contactpoint")).toMatchObject({ instances: 2, received: 2, dropped: 0, forwarded: 0, latency_ms: { p50: 0, p99: 0 } });
      expect((status as { error?: string }).error).toBeUndefined();
      expect((await fetch(page.url)).status).toBe(200);
    } finally {
      subscriptions.forEach((subscription) => subscription.unsubscribe());
    }
  });

  test("with no NATS to ask, the last counters stay and the page says why", async () => {
    const { connect } = await import("@nats-io/transport-node");
    const nc = await connect({ servers: fixture.server.url });
    const instance = stops(fixture.nc);
    instance.counters["contactpoint"]!.received = 3;
    const page = await serveStatusPage(nc, { intervalMs: 100, waitMs: 300 });
    pages.push(page);
    await statusWhen(page, (status) => status.stops.find((stop) => stop.name === "contactpoint")?.received === 3);
    await nc.close();
    const failed = await statusWhen(page, (status) => (status as { error?: string }).error !== undefined);
    expect((failed as { error?: string }).error).toMatch(/asking the instances failed/);
    expect(failed.stops.find((stop) => stop.name === "contactpoint")?.received).toBe(3);
  });

  test("the CLI's pipeline status serves the page until SIGTERM, then exits 0", async () => {
    stops().counters["contactpoint"]!.received = 4;
    const cli = startCli(calcProgram, ["pipeline", "status", "--server", fixture.server.url, "--port", "0", "--interval", "100"]);
    fixture.processes.push(cli);
    const line = await cli.waitForLog((each) => each.msg === "pipeline status page serving");
    const url = String(line["url"]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const deadline = Date.now() + 5_000;
    let status = await getJson(`${url}status.json`);
    while (status.stops.find((stop) => stop.name === "contactpoint")?.received !== 4 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await getJson(`${url}status.json`);
    }
    expect(status.stops.find((stop) => stop.name === "contactpoint")?.received).toBe(4);
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });
});

interface OpenStream {
  readonly status: number;
  text(): string;
  waitFor(check: (text: string) => boolean, timeoutMs?: number): Promise<void>;
  readonly ended: Promise<void>;
  destroy(): void;
}

// An SSE stream read as text, with node:http (fetch would buffer nothing we could wait on simply).
function openStream(url: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: "text/event-stream" } }, (response) => {
      let text = "";
      const listeners = new Set<() => void>();
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
        listeners.forEach((listener) => listener());
      });
      const ended = new Promise<void>((done) => response.once("close", () => done()));
      resolve({
        status: response.statusCode ?? 0,
        text: () => text,
        ended,
        destroy: () => req.destroy(),
        waitFor: (check, timeoutMs = 5_000) =>
          new Promise<void>((done, fail) => {
            const timer = setTimeout(() => {
              listeners.delete(listener);
              fail(new Error(`the stream never showed what was expected; got: ${text}`));
            }, timeoutMs);
            const listener = () => {
              if (check(text)) {
                clearTimeout(timer);
                listeners.delete(listener);
                done();
              }
            };
            listeners.add(listener);
            listener();
          }),
      });
    });
    req.on("error", reject);
    req.end();
  });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error("the condition never held");
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
