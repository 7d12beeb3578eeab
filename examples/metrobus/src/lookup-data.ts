import { accountId, seededRandom } from "./account-records.js";

/** The key-value bucket of the contact point's lookup cache: account number → email. */
export const emailsBucket = "metrobus-emails";

/** The key-value bucket of the whitelist: one key per email that may be written to (the value is the email). */
export const whitelistBucket = "metrobus-whitelist";

/** The lookup data: the emails of the accounts that have one, and the emails on the whitelist. */
export interface LookupData {
  readonly emails: ReadonlyMap<string, string>;
  readonly whitelist: readonly string[];
}

/** What {@link makeLookupData} makes. */
export interface LookupDataOptions {
  /** Accounts, numbered from {@link accountId}(0). */
  readonly accounts: number;
  readonly seed: number;
  /** Share of accounts with an email. Default 0.9. */
  readonly emailShare?: number;
  /** Share of those emails on the whitelist. Default 0.75. */
  readonly whitelistShare?: number;
}

/** Made-up lookup data, the same for the same options: most accounts have an email, most emails are whitelisted. */
export function makeLookupData(options: LookupDataOptions): LookupData {
  const random = seededRandom(options.seed);
  const emails = new Map<string, string>();
  const whitelist: string[] = [];
  for (let index = 0; index < options.accounts; index += 1) {
    if (random() >= (options.emailShare ?? 0.9)) {
      continue;
    }
    const email = `holder${index}@${["example.com", "example.org", "example.net"][index % 3]}`;
    emails.set(accountId(index), email);
    if (random() < (options.whitelistShare ?? 0.75)) {
      whitelist.push(email);
    }
  }
  return { emails, whitelist };
}

/**
 * A whitelist key for an email: key-value keys may not hold `@`, so the email goes in base64url
 * (the value is the email itself).
 */
export function whitelistKey(email: string): string {
  return Buffer.from(email, "utf8").toString("base64url");
}

/** `emails.dat`: one `<account number> <email>` per line. */
export function formatEmailsFile(emails: ReadonlyMap<string, string>): string {
  return [...emails].map(([account, email]) => `${account} ${email}\n`).join("");
}

/** `whitelist.dat`: one email per line. */
export function formatWhitelistFile(whitelist: readonly string[]): string {
  return whitelist.map((email) => `${email}\n`).join("");
}

/** Reads `emails.dat`; a line that is not `<ten digits> <email>` is an error naming the line. */
export function parseEmailsFile(text: string): Map<string, string> {
  const emails = new Map<string, string>();
  for (const [number, line] of dataLines(text)) {
    const match = /^(\d{10})\s+(\S+@\S+)$/.exec(line);
    if (match === null) {
      throw new Error(`emails.dat line ${number}: expected "<ten-digit account> <email>", got ${JSON.stringify(line)}`);
    }
    emails.set(match[1]!, match[2]!);
  }
  return emails;
}

/** Reads `whitelist.dat`; a line that is not an email is an error naming the line. */
export function parseWhitelistFile(text: string): string[] {
  return dataLines(text).map(([number, line]) => {
    if (!/^\S+@\S+$/.test(line)) {
      throw new Error(`whitelist.dat line ${number}: expected an email, got ${JSON.stringify(line)}`);
    }
    return line;
  });
}

// Non-empty lines, trimmed, with their numbers (from 1).
function dataLines(text: string): [number, string][] {
  return text
    .split("\n")
    .map((line, index): [number, string] => [index + 1, line.trim()])
    .filter(([, line]) => line !== "");
}
