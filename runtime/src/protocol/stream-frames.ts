/**
 * The frames of a stream (docs/protocol.md, "Streaming"): each is a NATS message to the peer's
 * inbox plus a kind token and, for most kinds, a number, so that a message frame is a plain
 * publish of the message with no header to write or read.
 */
export const FrameKind = {
  /** The host took the stream: its reply subject is the host's inbox. */
  Open: "o",
  /** One message; the number is its sequence, from 1 in each direction. */
  Message: "m",
  /** Several messages in a row, packed (see message-pack.ts); the number is the first one's sequence. */
  Pack: "p",
  /** The sender of it may be sent messages up to the number (absolute, so a lost one is replaced by the next). */
  Credit: "c",
  /** The sender of it has sent up to the number and has more, but no credit. */
  Blocked: "b",
  /** No more messages; the number is the last one's sequence. From the host, with the stream's status. */
  End: "e",
  /** The caller gives up: the host aborts the handler. */
  Cancel: "x",
} as const;

export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** A frame as its subject names it: the kind (`""` for a message to the bare inbox, such as "no responders") and its number. */
export interface FrameAddress {
  readonly kind: FrameKind | "";
  /** The frame's number; `0` for kinds that carry none. */
  readonly number: number;
}

/** The subject of a frame to the inbox `inbox`. */
export function frameSubject(inbox: string, kind: FrameKind, number?: number): string {
  return number === undefined ? `${inbox}.${kind}` : `${inbox}.${kind}.${number}`;
}

const frameKinds: ReadonlySet<string> = new Set(Object.values(FrameKind));
const decimal = /^(0|[1-9][0-9]{0,15})$/;

/**
 * Reads the part of a frame's subject after its inbox (`"m.12"`, `"x"`, `""`); `undefined` for
 * anything else, which a receiver ignores.
 */
export function parseFrameAddress(rest: string): FrameAddress | undefined {
  if (rest === "") {
    return { kind: "", number: 0 };
  }
  const dot = rest.indexOf(".");
  const kind = dot === -1 ? rest : rest.slice(0, dot);
  if (!frameKinds.has(kind)) {
    return undefined;
  }
  if (dot === -1) {
    return kind === FrameKind.Open || kind === FrameKind.Cancel ? { kind: kind as FrameKind, number: 0 } : undefined;
  }
  const digits = rest.slice(dot + 1);
  if (!decimal.test(digits)) {
    return undefined;
  }
  return { kind: kind as FrameKind, number: Number(digits) };
}

/** The prefix under which a stream's end carries the handler's trailers, as Connect sends a unary call's (read in any case). */
export const trailerPrefix = "Trailer-";

/** A stream's credit window, in messages, unless set: what a receiver holds at most that its application has not taken. */
export const defaultStreamWindow = 1_024;

/** How often each side of a stream sends a frame when it has sent none, unless set. */
export const defaultStreamHeartbeatMs = 5_000;

/** The heartbeat intervals a host accepts: a caller's ask is brought within them. */
export const minStreamHeartbeatMs = 100;
export const maxStreamHeartbeatMs = 60_000;

/** Heartbeat intervals without any frame after which a side takes its peer for dead. */
export const missedHeartbeatsForDead = 3;

/** A stream setting from a host's or client's options (`streamWindow`, ...): a whole number of at least 1, else `fallback`. */
export function streamSetting(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a whole number of at least 1, got ${value}`);
  }
  return value;
}
