import type { HandlersLifetime } from "nats-micro-runtime/cli";
import type { Account } from "./gen/metrobus/v1/metrobus_pb.js";
import type { MetrobusHandlers } from "./gen/metrobus/v1/metrobus_nats.js";
import { openLookupCache } from "./lookup-cache.js";
import { emailsBucket, whitelistBucket, whitelistKey } from "./lookup-data.js";

/** What the stops look up: an account's email, and whether an email is on the whitelist. */
export interface MetrobusLookups {
  readonly emails: { get(accountId: string): string | undefined };
  readonly whitelist: { get(key: string): string | undefined };
}

/**
 * What the bus driver does with a record in each state: the route it keeps or gives, and why.
 * `undefined`: a state it makes no route for, so the record is dropped at its stop.
 */
export function routeForState(state: string): { reason: string; route: readonly string[] | "declared" } | undefined {
  switch (state) {
    case "new":
      return { reason: "welcome a new account holder", route: "declared" };
    case "active":
      return { reason: "statement for an active account", route: "declared" };
    case "delinquent":
      return { reason: "reminder of a payment due", route: "declared" };
    case "closed":
      // Nobody to write to: the record is only logged.
      return { reason: "closed account: logged only", route: ["LogStop"] };
    default:
      return undefined;
  }
}

/**
 * The four stops over lookups that are ready (or become so): each takes an account record and
 * returns it with its one change, or `undefined` to drop it. `deliver` is the sink's work (logging
 * the record); tests and benchmarks give their own.
 */
export function metrobusStops(lookups: () => Promise<MetrobusLookups>, deliver: (account: Account) => void): MetrobusHandlers {
  return {
    busDriver(account, context) {
      const plan = routeForState(account.state);
      if (plan === undefined) {
        return undefined;
      }
      if (plan.route !== "declared") {
        // On a pipeline, the stops after this one; a plain call has no route to change.
        context.route?.replace(plan.route);
      }
      return { ...account, reason: plan.reason };
    },
    async contactPoint(account) {
      const email = (await lookups()).emails.get(account.accountId);
      return email === undefined ? undefined : { ...account, email };
    },
    async whitelist(account) {
      const listed = (await lookups()).whitelist.get(whitelistKey(account.email)) !== undefined;
      return listed ? { ...account, whitelisted: true } : undefined;
    },
    logStop(account) {
      deliver(account);
      return account;
    },
  };
}

/**
 * The handlers `metrobus serve` runs: the stops over lookup caches of the two key-value buckets,
 * opened once the process is connected (and closed when it stops); the sink logs each record
 * that reaches it as a JSON line.
 */
export function metrobusHandlers(lifetime: HandlersLifetime): MetrobusHandlers {
  const opened = lifetime.connection().then(async (nc) => {
    const [emails, whitelist] = await Promise.all([openLookupCache(nc, emailsBucket), openLookupCache(nc, whitelistBucket)]);
    lifetime.onStopped(async () => {
      await Promise.all([emails.close(), whitelist.close()]);
    });
    return { emails, whitelist };
  });
  // A process that stops before it connects never looks anything up; its failure is serve's to report.
  opened.catch(() => undefined);
  return metrobusStops(
    () => opened,
    (account) =>
      process.stdout.write(
        `${JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "delivered", account: account.accountId, state: account.state, email: account.email, reason: account.reason })}\n`,
      ),
  );
}
