import { HeaderName } from "../protocol/header-name.js";
import { createNatsHeaders, type MsgHdrs } from "../transport/nats/nats-client.js";
import type { RouteHop } from "../service/route-context.js";
import { checkStopName } from "../service/stop-policy.js";
import { isRouteId } from "./pipeline-names.js";

/**
 * The routing slip of a pipeline message, as its headers carry it (docs/pipelines.md): never in
 * the payload, so that a stop sees only its typed message.
 */
export interface RouteSlip {
  readonly pipeline: string;
  readonly id: string;
  /** The stop the message is addressed to. */
  readonly stop: string;
  /** The stops after it. */
  readonly remaining: readonly string[];
  /** Hops made before it reached `stop`. */
  readonly position: number;
  readonly original: readonly string[];
  readonly history: readonly RouteHop[];
  readonly started: Date;
  /** The proto type name of the payload. */
  readonly type: string;
  /** Replays from the dead letters so far. */
  readonly replay: number;
}

// The headers of the slip, by their lower-case names: the route's id, and the rest in one header.
// (One header rather than one per field: nats.js and nats-server pay per header line, on every hop.)
const slipHeaderNames: ReadonlySet<string> = new Set([HeaderName.PipelineRouteId, HeaderName.PipelineSlip].map((name) => name.toLowerCase()));

/**
 * The slip as `Nats-Pipeline-Slip` carries it: JSON, the stops as names, times as RFC 3339. Fields
 * it does not know are ignored when read, so that a later version can add some.
 */
interface SlipJson {
  pipeline: string;
  stop: string;
  route: string[];
  position: number;
  original: string[];
  /** `stop@time` of each stop the message has been through, oldest first. */
  history: string[];
  started: string;
  type: string;
  /** Absent: never replayed. */
  replay?: number;
}

/**
 * Sets the slip's headers on the NATS headers of a message that a stop or a starter publishes,
 * in place of any slip they held (whatever the case of its names).
 */
export function setSlipHeaders(headers: MsgHdrs, slip: RouteSlip): void {
  for (const name of headers.keys()) {
    if (slipHeaderNames.has(name.toLowerCase())) {
      headers.delete(name);
    }
  }
  const json: SlipJson = {
    pipeline: slip.pipeline,
    stop: slip.stop,
    route: [...slip.remaining],
    position: slip.position,
    original: [...slip.original],
    history: slip.history.map((hop) => (hop instanceof HopRead ? hop.text() : `${hop.stop}@${hop.at.toISOString()}`)),
    started: slip.started instanceof TimeRead ? slip.started.text() : slip.started.toISOString(),
    type: slip.type,
  };
  if (slip.replay > 0) {
    json.replay = slip.replay;
  }
  headers.append(HeaderName.PipelineRouteId, slip.id);
  headers.append(HeaderName.PipelineSlip, JSON.stringify(json));
}

// The hops and the start time of a slip that was read keep the text they had in the header: a
// stop writes them again as they came rather than formatting each anew (`toISOString` was a third
// of the time a stop spent writing the slip).
class TimeRead extends Date {
  readonly #text: string;
  constructor(text: string) {
    super(text);
    this.#text = text;
  }
  text(): string {
    return this.#text;
  }
}

class HopRead implements RouteHop {
  readonly #text: string;
  constructor(
    readonly stop: string,
    readonly at: Date,
    text: string,
  ) {
    this.#text = text;
  }
  text(): string {
    return this.#text;
  }
}

/** The slip read back from a message's headers, or why it cannot be read. */
export type ReadSlip = { readonly slip: RouteSlip; readonly problem?: undefined } | { readonly slip?: undefined; readonly problem: string };

/** Reads the routing slip of a message, `header(name)` giving `""` for a header it lacks. */
export function readSlip(header: (name: string) => string): ReadSlip {
  const id = header(HeaderName.PipelineRouteId);
  if (!isRouteId(id)) {
    return { problem: `it has no valid ${HeaderName.PipelineRouteId} header (got ${JSON.stringify(id)})` };
  }
  let json: Partial<Record<keyof SlipJson, unknown>>;
  try {
    json = JSON.parse(header(HeaderName.PipelineSlip)) as typeof json;
  } catch {
    return { problem: `its ${HeaderName.PipelineSlip} header is not JSON` };
  }
  if (typeof json !== "object" || json === null) {
    return { problem: `its ${HeaderName.PipelineSlip} header is not a JSON object` };
  }
  const { pipeline = "", stop, route, original, position, history = [], started, type = "", replay = 0 } = json;
  if (typeof stop !== "string" || !isStringList(route) || !isStringList(original) || typeof pipeline !== "string" || typeof type !== "string") {
    return { problem: `its ${HeaderName.PipelineSlip} header lacks the stop, the route or the original route, or has another type for one of them` };
  }
  const bad = [stop, ...route, ...original].find((name) => checkStopName(name) !== undefined);
  if (bad !== undefined) {
    return { problem: `its route names ${JSON.stringify(bad)}, which cannot be a stop: ${checkStopName(bad)}` };
  }
  if (!Number.isSafeInteger(position) || (position as number) < 0) {
    return { problem: `its slip's position is not a whole number (got ${JSON.stringify(position)})` };
  }
  if (!isStringList(history)) {
    return { problem: `its slip's history is not a list of stop@time` };
  }
  const hops: RouteHop[] = [];
  for (const entry of history) {
    const at = entry.lastIndexOf("@");
    const time = new Date(entry.slice(at + 1));
    if (at <= 0 || Number.isNaN(time.getTime())) {
      return { problem: `its slip's history has an entry that is not stop@time: ${JSON.stringify(entry)}` };
    }
    hops.push(new HopRead(entry.slice(0, at), time, entry));
  }
  const startedAt = typeof started === "string" ? new TimeRead(started) : new Date(Number.NaN);
  return {
    slip: {
      pipeline,
      id,
      stop,
      remaining: route,
      position: position as number,
      original,
      history: hops,
      started: Number.isNaN(startedAt.getTime()) ? new Date(0) : startedAt,
      type,
      replay: Number.isSafeInteger(replay) && (replay as number) > 0 ? (replay as number) : 0,
    },
  };
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

// What JetStream reads on a publish (the message id, the stream expected), which a copy must not carry on.
const publishOnlyHeaders = /^nats-(msg-id|expected-.*)$/i;

/**
 * The headers of a pipeline message that travel on with it to a dead letter or a replay: all of
 * them (the starter's own, the slip) but those that steer one publish.
 */
export function carriedHeaders(headers: MsgHdrs | undefined): MsgHdrs {
  return copyHeaders(headers, (name) => !publishOnlyHeaders.test(name));
}

/**
 * The headers a stop forwards with its reply, before the next slip is set on them: the carried
 * ones but the slip and the attempt's timeout. (Left out here rather than deleted after: each
 * NATS header added costs a pass over those already there.)
 */
export function forwardedHeaders(headers: MsgHdrs | undefined): MsgHdrs {
  return copyHeaders(headers, (name) => {
    const lower = name.toLowerCase();
    return !slipHeaderNames.has(lower) && lower !== timeoutHeader && !publishOnlyHeaders.test(name);
  });
}

const timeoutHeader = HeaderName.Timeout.toLowerCase();

function copyHeaders(headers: MsgHdrs | undefined, keep: (name: string) => boolean): MsgHdrs {
  const copy = createNatsHeaders();
  if (headers !== undefined) {
    for (const [name, values] of headers) {
      if (keep(name)) {
        values.forEach((value) => copy.append(name, value));
      }
    }
  }
  return copy;
}
