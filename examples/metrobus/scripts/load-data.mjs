#!/usr/bin/env node
// Loads the data files into the stops' key-value buckets (metrobus-emails, metrobus-whitelist),
// made when missing; keys the files no longer have are deleted. Running stops see the change at
// once: their caches follow the buckets.
// Usage: node scripts/load-data.mjs [--server nats://127.0.0.1:4222] [--data data]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { connectNats, resolveConnectionSettings } from "nats-micro-runtime/cli";
import { loadLookupData } from "../dist/load-lookup-data.js";
import { parseEmailsFile, parseWhitelistFile } from "../dist/lookup-data.js";

const { values } = parseArgs({ options: { server: { type: "string" }, data: { type: "string" } } });
const directory = values.data ?? new URL("../data", import.meta.url).pathname;
let data;
try {
  data = {
    emails: parseEmailsFile(readFileSync(join(directory, "emails.dat"), "utf8")),
    whitelist: parseWhitelistFile(readFileSync(join(directory, "whitelist.dat"), "utf8")),
  };
} catch (error) {
  console.error(`cannot read the data files (node scripts/make-data.mjs writes them): ${error.message}`);
  process.exit(1);
}
let nc;
try {
  nc = await connectNats({ ...resolveConnectionSettings(values.server === undefined ? {} : { servers: [values.server] }), name: "metrobus-load-data" });
  const loaded = await loadLookupData(nc, data);
  console.log(`loaded ${loaded.emails} emails and ${loaded.whitelisted} whitelisted emails (${loaded.removed} old keys deleted)`);
} catch (error) {
  // No server, or one without JetStream: say so in one line.
  console.error(`cannot load the data: ${error.message}`);
  process.exitCode = 1;
} finally {
  await nc?.drain();
}
