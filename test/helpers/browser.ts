import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Debian's chromium package (scripts/install-system-deps.sh installs it). */
export const chromiumPath = "/usr/bin/chromium";

/**
 * Flags that keep a headless Chromium to itself: no GPU, no sandbox (tests may run as root), and
 * nothing that reaches out to the network (updates, sync, QUIC probes, first-run pages).
 */
export const chromiumFlags: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A headless Chromium with a profile of its own; close it, and its profile goes with it. */
export interface TestBrowser {
  readonly context: BrowserContext;
  /** A new tab on `url`, loaded. */
  open(url: string): Promise<Page>;
  /** Ends the browser and removes its profile; safe to call twice. */
  close(): Promise<void>;
}

/** How long launching may take before the test fails with the reason. */
const launchTimeoutMs = 20_000;

/**
 * Launches Debian's Chromium headless through playwright-core, in a fresh temporary profile
 * directory (`--user-data-dir`, which is what `launchPersistentContext` takes). Whatever goes
 * wrong, nothing is left behind: a failed launch removes the profile before it throws.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), "chromium-profile-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: [...chromiumFlags],
      timeout: launchTimeoutMs,
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    context,
    open: async (url) => {
      const page = await context.newPage();
      await page.goto(url, { waitUntil: "load" });
      return page;
    },
    close: () =>
      (closing ??= (async () => {
        try {
          await context.close();
        } finally {
          await rm(profile, { recursive: true, force: true });
        }
      })()),
  };
}

/**
 * The numbers on a status page (runtime/src/pipeline/status-page-html.ts) as the browser shows
 * them: per stop, per field (`received`, `dropped`, `p99` ...), read off the cells' text.
 */
export async function readStatusTable(page: Page): Promise<Record<string, Record<string, number>>> {
  // The callback runs in the page; the tests compile without the DOM's types, so its cells are described here.
  type Cell = { dataset: Record<string, string | undefined>; textContent: string | null };
  const cells = await page
    .locator("td[data-stop][data-field]")
    .evaluateAll((elements) => (elements as unknown as Cell[]).map((cell) => [cell.dataset["stop"] ?? "", cell.dataset["field"] ?? "", cell.textContent ?? ""] as const));
  const table: Record<string, Record<string, number>> = {};
  for (const [stop, field, text] of cells) {
    (table[stop] ??= {})[field] = Number(text);
  }
  return table;
}
