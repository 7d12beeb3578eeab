#!/usr/bin/env node
// Writes the lookup data files, as the seed's two generator scripts did: data/emails.dat (one
// "<account> <email>" per line: most accounts have an email) and data/whitelist.dat (one email per
// line: most of those emails). The same --seed writes the same files.
// Usage: node scripts/make-data.mjs [--accounts 10000] [--seed 1] [--out data]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { formatEmailsFile, formatWhitelistFile, makeLookupData } from "../dist/lookup-data.js";

const { values } = parseArgs({ options: { accounts: { type: "string", default: "10000" }, seed: { type: "string", default: "1" }, out: { type: "string" } } });
const accounts = Number(values.accounts);
const seed = Number(values.seed);
if (!Number.isSafeInteger(accounts) || accounts < 1 || !Number.isSafeInteger(seed) || seed < 0) {
  console.error("usage: make-data.mjs [--accounts N (at least 1)] [--seed N] [--out DIRECTORY]");
  process.exit(2);
}
const out = values.out ?? new URL("../data", import.meta.url).pathname;
const data = makeLookupData({ accounts, seed });
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "emails.dat"), formatEmailsFile(data.emails));
writeFileSync(join(out, "whitelist.dat"), formatWhitelistFile(data.whitelist));
console.log(`${join(out, "emails.dat")}: ${data.emails.size} of ${accounts} accounts; ${join(out, "whitelist.dat")}: ${data.whitelist.length} emails`);
