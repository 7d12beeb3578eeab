// The metrobus example's built modules (examples/metrobus/dist, from `npm run build`), loaded by
// path: the example is a program of its own, not a dependency of the benchmark, so its types are
// restated here as narrowly as the benchmark uses them.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { DescMessage, DescService, MessageInitShape } from "@bufbuild/protobuf";
import type { NatsConnection } from "@nats-io/nats-core";
import type { HandlerContext, HostOptions, ServiceHost } from "nats-micro-runtime";
import { rootDirectory } from "../bench-paths.js";
import { benchAccounts } from "./pipeline-systems.js";

/** The example's directory. */
export const metrobusDirectory = join(rootDirectory, "examples", "metrobus");

/** An account record, as the stops see it. */
export interface Account {
  accountId: string;
  state: string;
  email: string;
  whitelisted: boolean;
  reason: string;
}

/** One stop's handler of examples/metrobus/src/metrobus-handlers.ts. */
export type StopHandler = (account: Account, context: HandlerContext) => Promise<Partial<Account> | undefined> | Partial<Account> | undefined;

/** The stops' handlers, by the generated handler names. */
export interface MetrobusHandlers {
  busDriver: StopHandler;
  contactPoint: StopHandler;
  whitelist: StopHandler;
  logStop: StopHandler;
}

/** What the benchmark uses of the example. */
export interface MetrobusExample {
  readonly Metrobus: DescService;
  readonly AccountSchema: DescMessage;
  /** The example's stops over in-memory lookups in which every account has a whitelisted email; the sink does nothing. */
  readonly handlers: MetrobusHandlers;
  /** The next record of a seeded stream: a random account, in a state that takes the whole route. */
  nextRecord(): MessageInitShape<DescMessage>;
  serveMetrobus(nc: NatsConnection, handlers: MetrobusHandlers, options?: HostOptions): Promise<ServiceHost>;
  startNotify(nc: NatsConnection, message: MessageInitShape<DescMessage>, options?: { id?: string }): Promise<{ id: string }>;
}

const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(metrobusDirectory, "dist", path)).href)) as T;

/** Loads the example's stops, messages and generated functions. */
export async function loadMetrobusExample(): Promise<MetrobusExample> {
  const [handlersModule, dataModule, recordsModule, messages, generated] = await Promise.all([
    load<{ metrobusStops(lookups: () => Promise<unknown>, deliver: (account: Account) => void): MetrobusHandlers }>("metrobus-handlers.js"),
    load<{
      makeLookupData(options: { accounts: number; seed: number; emailShare: number; whitelistShare: number }): { emails: Map<string, string>; whitelist: string[] };
      whitelistKey(email: string): string;
    }>("lookup-data.js"),
    load<{ seededRandom(seed: number): () => number; accountRecord(random: () => number, mix: { accounts: number; unroutedShare: number }): MessageInitShape<DescMessage> }>("account-records.js"),
    load<{ Metrobus: DescService; AccountSchema: DescMessage }>("gen/metrobus/v1/metrobus_pb.js"),
    load<Pick<MetrobusExample, "serveMetrobus" | "startNotify">>("gen/metrobus/v1/metrobus_nats.js"),
  ]);
  const data = dataModule.makeLookupData({ accounts: benchAccounts, seed: 1, emailShare: 1, whitelistShare: 1 });
  const lookups = { emails: data.emails, whitelist: new Map(data.whitelist.map((email) => [dataModule.whitelistKey(email), email])) };
  const random = recordsModule.seededRandom(1);
  return {
    Metrobus: messages.Metrobus,
    AccountSchema: messages.AccountSchema,
    handlers: handlersModule.metrobusStops(async () => lookups, () => {}),
    nextRecord: () => ({ ...recordsModule.accountRecord(random, { accounts: benchAccounts, unroutedShare: 0 }), state: "active" }),
    serveMetrobus: generated.serveMetrobus,
    startNotify: generated.startNotify,
  };
}
