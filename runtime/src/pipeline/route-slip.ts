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

// The headers of the slip, by their lower-case names.
const slipHeaderNames: ReadonlySet<string> = new Set(
  [
    HeaderName.Pipeline,
    HeaderName.PipelineRouteId,
    HeaderName.PipelineStop,
    HeaderName.PipelineRoute,
    HeaderName.PipelinePosition,
    HeaderName.PipelineOriginalRoute,
    HeaderName.PipelineHistory,
    HeaderName.PipelineStarted,
    HeaderName.PipelineType,
    HeaderName.PipelineReplay,
  ].map((name) => name.toLowerCase()),
);

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
  headers.append(HeaderName.Pipeline, slip.pipeline);
  headers.append(HeaderName.PipelineRouteId, slip.id);
  headers.append(HeaderName.PipelineStop, slip.stop);
  headers.append(HeaderName.PipelineRoute, slip.remaining.join(","));
  headers.append(HeaderName.PipelinePosition, String(slip.position));
  headers.append(HeaderName.PipelineOriginalRoute, slip.original.join(","));
  if (slip.history.length > 0) {
    headers.append(HeaderName.PipelineHistory, slip.history.map((hop) => `${hop.stop}@${hop.at.toISOString()}`).join(","));
  }
  headers.append(HeaderName.PipelineStarted, slip.started.toISOString());
  headers.append(HeaderName.PipelineType, slip.type);
  if (slip.replay > 0) {
    headers.append(HeaderName.PipelineReplay, String(slip.replay));
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
  const stop = header(HeaderName.PipelineStop);
  const remaining = stopList(header(HeaderName.PipelineRoute));
  const original = stopList(header(HeaderName.PipelineOriginalRoute));
  const bad = [stop, ...remaining, ...original].find((name) => checkStopName(name) !== undefined);
  if (bad !== undefined) {
    return { problem: `its route names ${JSON.stringify(bad)}, which cannot be a stop: ${checkStopName(bad)}` };
  }
  const position = Number(header(HeaderName.PipelinePosition));
  if (!Number.isSafeInteger(position) || position < 0) {
    return { problem: `its ${HeaderName.PipelinePosition} header is not a whole number (got ${JSON.stringify(header(HeaderName.PipelinePosition))})` };
  }
  const history: RouteHop[] = [];
  for (const entry of stopList(header(HeaderName.PipelineHistory))) {
    const at = entry.lastIndexOf("@");
    const time = new Date(entry.slice(at + 1));
    if (at <= 0 || Number.isNaN(time.getTime())) {
      return { problem: `its ${HeaderName.PipelineHistory} header has an entry that is not stop@time: ${JSON.stringify(entry)}` };
    }
    history.push({ stop: entry.slice(0, at), at: time });
  }
  const started = new Date(header(HeaderName.PipelineStarted));
  const replay = Number(header(HeaderName.PipelineReplay) || "0");
  return {
    slip: {
      pipeline: header(HeaderName.Pipeline),
      id,
      stop,
      remaining,
      position,
      original,
      history,
      started: Number.isNaN(started.getTime()) ? new Date(0) : started,
      type: header(HeaderName.PipelineType),
      replay: Number.isSafeInteger(replay) && replay > 0 ? replay : 0,
    },
  };
}

// A comma-separated list of stops; the empty string is none.
function stopList(value: string): string[] {
  return value === "" ? [] : value.split(",").map((name) => name.trim());
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
