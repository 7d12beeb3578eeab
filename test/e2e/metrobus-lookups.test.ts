// The metrobus example's lookup data (examples/metrobus/src): the data files, their loading into
// key-value buckets, and the stops' caches that follow the buckets, on a real nats-server with
// JetStream.
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { create } from "@bufbuild/protobuf";
import { createHandlerContext } from "../../runtime/src/service/handler-context.js";
import { accountId, accountRecord, seededRandom } from "../../examples/metrobus/src/account-records.js";
import { AccountSchema, Metrobus } from "../../examples/metrobus/src/gen/metrobus/v1/metrobus_pb.js";
import { loadLookupData } from "../../examples/metrobus/src/load-lookup-data.js";
import { openLookupCache } from "../../examples/metrobus/src/lookup-cache.js";
import {
  emailsBucket,
  formatEmailsFile,
  formatWhitelistFile,
  makeLookupData,
  parseEmailsFile,
  parseWhitelistFile,
  whitelistBucket,
  whitelistKey,
} from "../../examples/metrobus/src/lookup-data.js";
import { metrobusStops } from "../../examples/metrobus/src/metrobus-handlers.js";
import { startNatsProcess, waitUntil, type NatsProcess } from "../helpers/nats-cluster.js";

let server: NatsProcess;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsProcess({ name: "metrobus-lookups", jetStream: true });
  nc = await connect({ servers: server.url });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe("metrobus lookup data", () => {
  test("the same seed makes the same data; the files read back as written, and a bad line is named", () => {
    const data = makeLookupData({ accounts: 1_000, seed: 7 });
    expect(makeLookupData({ accounts: 1_000, seed: 7 })).toEqual(data);
    // Most accounts have an email, most emails are listed, and some of each are not.
    expect(data.emails.size).toBeGreaterThan(800);
    expect(data.emails.size).toBeLessThan(1_000);
    expect(data.whitelist.length).toBeGreaterThan(data.emails.size / 2);
    expect(data.whitelist.length).toBeLessThan(data.emails.size);
    expect(parseEmailsFile(formatEmailsFile(data.emails))).toEqual(data.emails);
    expect(parseWhitelistFile(formatWhitelistFile(data.whitelist))).toEqual(data.whitelist);
    expect(() => parseEmailsFile(`${accountId(1)} a@b\n\n12 nobody\n`)).toThrow('emails.dat line 3: expected "<ten-digit account> <email>", got "12 nobody"');
    expect(() => parseWhitelistFile("a@b\nnot-an-email\n")).toThrow('whitelist.dat line 2: expected an email, got "not-an-email"');
  });

  test("loads the data into the buckets, and a cache holds it and follows later changes", async () => {
    const data = makeLookupData({ accounts: 300, seed: 3 });
    const first = await loadLookupData(nc, data);
    expect(first).toEqual({ emails: data.emails.size, whitelisted: data.whitelist.length, removed: 0 });
    const emails = await openLookupCache(nc, emailsBucket);
    const whitelist = await openLookupCache(nc, whitelistBucket);
    try {
      expect(emails.size).toBe(data.emails.size);
      expect(whitelist.size).toBe(data.whitelist.length);
      const [account, email] = [...data.emails][0]!;
      expect(emails.get(account)).toBe(email);
      expect(whitelist.get(whitelistKey(data.whitelist[0]!))).toBe(data.whitelist[0]);

      // Loading other data: the keys it does not have go, and the caches see it.
      const smaller = makeLookupData({ accounts: 100, seed: 3 });
      const second = await loadLookupData(nc, smaller);
      expect(second.removed).toBe(data.emails.size - smaller.emails.size + (data.whitelist.length - smaller.whitelist.length));
      await waitUntil("the caches to follow the second load", () => emails.size === smaller.emails.size && whitelist.size === smaller.whitelist.length);
      const kv = await new Kvm(nc).open(emailsBucket);
      await kv.put(accountId(99_999), "late@example.com");
      await waitUntil("the cache to see a put", () => emails.get(accountId(99_999)) === "late@example.com");
    } finally {
      await emails.close();
      await whitelist.close();
    }
  });

  test("a cache of an empty bucket opens at once", async () => {
    const cache = await openLookupCache(nc, "metrobus-empty-test", { loadTimeoutMs: 5_000 });
    expect(cache.size).toBe(0);
    await cache.close();
  });

  test("the stops, called as plain handlers: the bus driver drops unknown states, the others drop what their lookups lack", async () => {
    const lookups = {
      emails: new Map([[accountId(1), "one@example.com"], [accountId(2), "two@example.com"]]),
      whitelist: new Map([[whitelistKey("one@example.com"), "one@example.com"]]),
    };
    const delivered: string[] = [];
    const stops = metrobusStops(async () => lookups, (account) => delivered.push(account.accountId));
    const context = (method: keyof typeof Metrobus.method) => createHandlerContext({ method: Metrobus.method[method] });
    const account = (id: number, state: string) => create(AccountSchema, { accountId: accountId(id), state });

    expect(await stops.busDriver(account(1, "frozen"), context("busDriver"))).toBeUndefined();
    expect(await stops.busDriver(account(1, "active"), context("busDriver"))).toMatchObject({ reason: "statement for an active account" });
    expect(await stops.contactPoint(account(3, "active"), context("contactPoint"))).toBeUndefined();
    const withEmail = await stops.contactPoint(account(2, "active"), context("contactPoint"));
    expect(withEmail).toMatchObject({ email: "two@example.com" });
    expect(await stops.whitelist(create(AccountSchema, withEmail!), context("whitelist"))).toBeUndefined();
    const listed = await stops.whitelist(create(AccountSchema, { accountId: accountId(1), email: "one@example.com" }), context("whitelist"));
    expect(listed).toMatchObject({ whitelisted: true });
    await stops.logStop(create(AccountSchema, listed!), context("logStop"));
    expect(delivered).toEqual([accountId(1)]);
  });

  test("the pusher's records come from the seed: the same seed, the same records", () => {
    const records = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 50 }, () => accountRecord(random, { accounts: 100 }, 0));
    };
    expect(records(5)).toEqual(records(5));
    expect(records(5)).not.toEqual(records(6));
    expect(new Set(records(5).map((record) => record.state)).size).toBeGreaterThan(2);
  });
});
