import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AccountSchema } from "./gen/metrobus/v1/metrobus_pb.js";

/** The states the bus driver routes; the pusher also makes a few it does not know, which it drops. */
export const accountStates = ["new", "active", "delinquent", "closed"] as const;

/** A state no route is made for, that the pusher puts on now and then: such records are dropped. */
export const unroutedState = "frozen";

/**
 * A small, seeded random number generator (mulberry32): the same seed gives the same data files and
 * the same records, so that a run can be checked against what it should do.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The account number of the `index`th account of the data files: ten digits. */
export function accountId(index: number): string {
  return String(1_000_000_000 + index);
}

/** What {@link accountRecord} makes records of. */
export interface RecordMix {
  /** Accounts in the data files: records name one of them. */
  readonly accounts: number;
  /** Share of records in a state the bus driver does not route (dropped at its stop). Default 0.02. */
  readonly unroutedShare?: number;
}

/**
 * One account record as an upstream application would put it on the bus: a random account of the
 * data files, a random state (now and then one no route is made for), a balance and a time. Only
 * the account number and state are known; the stops fill in the rest.
 */
export function accountRecord(random: () => number, mix: RecordMix, now = Date.now()): MessageInitShape<typeof AccountSchema> {
  const index = Math.floor(random() * mix.accounts);
  const unrouted = random() < (mix.unroutedShare ?? 0.02);
  const state = unrouted ? unroutedState : accountStates[Math.floor(random() * accountStates.length)]!;
  return {
    accountId: accountId(index),
    state,
    balanceCents: BigInt(Math.round((random() - 0.2) * 1_000_000)),
    createdAtMs: BigInt(now),
  };
}
