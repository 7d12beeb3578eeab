import { Code } from "../protocol/code.js";
import { errorFromHeaders } from "../protocol/error-headers.js";
import { HeaderName } from "../protocol/header-name.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { RouteHop } from "../service/route-context.js";
import { checkStopName } from "../service/stop-policy.js";
import type { NatsConnection } from "../transport/nats/nats-client.js";
import { deleteNatsHeader, natsHeaderReader, toFetchHeaders } from "../transport/nats/message-headers.js";
import { hopMessageId, isRouteId, PipelineNames } from "./pipeline-names.js";
import { openPipelineStreams, type PipelineStreamOptions } from "./pipeline-streams.js";
import { publishHop } from "./publish-hop.js";
import { carriedHeaders, readSlip, setSlipHeaders } from "./route-slip.js";

/** A pipeline message kept in the dead-letter stream: as it reached the stop it failed at, and why. */
export interface PipelineDeadLetter {
  /** The route's id: what {@link replayPipelineDeadLetter} takes. */
  readonly id: string;
  readonly pipeline: string;
  /** The stop it failed at (or could not go on from). */
  readonly stop: string;
  /** When it was dead-lettered. */
  readonly time: Date;
  /** Why, in words. */
  readonly reason: string;
  /** The attempts it had at the stop. */
  readonly attempts: number;
  /** The error of its last attempt, when its handler failed. */
  readonly error: RpcError | undefined;
  /** Hops made before it reached the stop. */
  readonly position: number;
  /** The stops that were to follow. */
  readonly remaining: readonly string[];
  readonly original: readonly string[];
  readonly history: readonly RouteHop[];
  /** Its headers, the routing slip's and the letter's own. */
  readonly headers: Headers;
  /** The message as it reached the stop. */
  readonly payload: Uint8Array;
}

// Dead-letter headers that a replayed message must not carry back.
const letterOnlyHeaders = [HeaderName.PipelineStop, HeaderName.PipelineReason, HeaderName.PipelineAttempts, HeaderName.ServiceError, HeaderName.ServiceErrorCode, HeaderName.RpcCode];

/** The dead letters of every pipeline, oldest first, at most `limit` (100 unless set). */
export async function listPipelineDeadLetters(nc: NatsConnection, options: { limit?: number } & PipelineStreamOptions = {}): Promise<PipelineDeadLetter[]> {
  const streams = await openPipelineStreams(nc, options);
  await streams.ensureDead();
  const letters: PipelineDeadLetter[] = [];
  const info = await streams.jsm.streams.info(PipelineNames.deadStream);
  const limit = Math.min(options.limit ?? 100, info.state.messages);
  if (limit <= 0) {
    return letters;
  }
  const consumer = await streams.js.consumers.get(PipelineNames.deadStream);
  const messages = await consumer.fetch({ max_messages: limit, expires: 5_000 });
  for await (const msg of messages) {
    const get = natsHeaderReader(msg.headers);
    const headers = toFetchHeaders(msg.headers);
    const slip = readSlip(get).slip;
    letters.push({
      id: get(HeaderName.PipelineRouteId),
      pipeline: slip?.pipeline ?? "",
      stop: get(HeaderName.PipelineStop),
      time: new Date(msg.timestamp),
      reason: get(HeaderName.PipelineReason),
      attempts: Number.parseInt(get(HeaderName.PipelineAttempts), 10) || 0,
      error: get(HeaderName.RpcCode) === "" && get(HeaderName.ServiceErrorCode) === "" ? undefined : errorFromHeaders(get, () => headers),
      position: slip?.position ?? 0,
      remaining: slip?.remaining ?? [],
      original: slip?.original ?? [],
      history: slip?.history ?? [],
      headers,
      payload: msg.data,
    });
    if (msg.info.pending === 0 || letters.length >= limit) {
      break;
    }
  }
  await messages.close();
  return letters;
}

/** Options of {@link replayPipelineDeadLetter}. */
export interface ReplayOptions extends PipelineStreamOptions {
  /**
   * The route from the stop the message is replayed to, that stop first: `["Weigh", "Print"]`
   * replays it to Weigh, then Print. The failed stop and the rest of its route unless set.
   */
  route?: readonly string[];
}

/** A dead letter replayed. */
export interface ReplayedRoute {
  readonly id: string;
  /** The stop it was sent to. */
  readonly stop: string;
  readonly route: readonly string[];
}

/**
 * Sends a dead-lettered message again, from the stop it failed at (or the first of
 * `options.route`), with all its attempts and its history; then removes the letter. The message's
 * ids start a new series, so that the server's duplicate check does not take the replay for the
 * first run. `not_found` for a route id without a letter.
 */
export async function replayPipelineDeadLetter(nc: NatsConnection, id: string, options: ReplayOptions = {}): Promise<ReplayedRoute> {
  if (!isRouteId(id)) {
    throw new RpcError(`route id ${JSON.stringify(id)} is not valid: use 1 to 200 of A-Z a-z 0-9 _ = -`, Code.InvalidArgument);
  }
  const streams = await openPipelineStreams(nc, options);
  await streams.ensureDead();
  const letter = await streams.jsm.streams.getMessage(PipelineNames.deadStream, { last_by_subj: PipelineNames.deadSubject(id) }).catch(() => null);
  if (letter === null) {
    throw new RpcError(`no dead letter of route ${id}`, Code.NotFound);
  }
  const read = readSlip(natsHeaderReader(letter.header));
  if (read.slip === undefined) {
    throw new RpcError(`the dead letter of route ${id} cannot be replayed: ${read.problem}`, Code.FailedPrecondition);
  }
  const route = options.route ?? [read.slip.stop, ...read.slip.remaining];
  for (const stop of route) {
    const problem = checkStopName(stop);
    if (problem !== undefined) {
      throw new RpcError(`replay of ${id}: ${problem}`, Code.InvalidArgument);
    }
  }
  const [first, ...rest] = route;
  if (first === undefined) {
    throw new RpcError(`replay of ${id}: the route is empty`, Code.InvalidArgument);
  }
  const headers = carriedHeaders(letter.header);
  for (const name of letterOnlyHeaders) {
    deleteNatsHeader(headers, name);
  }
  const replay = read.slip.replay + 1;
  setSlipHeaders(headers, { ...read.slip, stop: first, remaining: rest, replay });
  const published = await publishHop(streams, first, letter.data, headers, hopMessageId(id, read.slip.position, replay));
  if (published.unknownStop) {
    throw new RpcError(`replay of ${id}: no stop ${first}: its stream ${PipelineNames.stopStream(first)} does not exist`, Code.NotFound);
  }
  // Gone already when the replayed message failed again at once: its new letter replaced this one.
  await streams.jsm.streams.deleteMessage(PipelineNames.deadStream, letter.seq, false).catch(() => undefined);
  return { id, stop: first, route };
}
