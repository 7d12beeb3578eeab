import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { encodeMessage, jsonContentType, type Encoding } from "../protocol/codec.js";
import { HeaderName } from "../protocol/header-name.js";
import type { HeadersInit } from "../protocol/headers-init.js";
import { RpcError } from "../protocol/rpc-error.js";
import { checkStopName } from "../service/stop-policy.js";
import { nuid, type NatsConnection } from "../transport/nats/nats-client.js";
import { toNatsHeaders } from "../transport/nats/message-headers.js";
import type { PipelineDefinition } from "./pipeline-definition.js";
import { hopMessageId, isRouteId, PipelineNames } from "./pipeline-names.js";
import { openPipelineStreams, type PipelineStreamOptions } from "./pipeline-streams.js";
import { publishHop } from "./publish-hop.js";
import { setSlipHeaders } from "./route-slip.js";

/** Options of a generated `start<Pipeline>()`. */
export interface StartPipelineOptions extends PipelineStreamOptions {
  /**
   * The route, instead of the pipeline's default one: stop names in order. Its first stop must
   * take the message's type; the others are checked as the message reaches them.
   */
  route?: readonly string[];
  /**
   * The route's id (1 to 200 of `A-Z a-z 0-9 _ = -`); a new unique id unless set. Starting an id
   * again within the stops' duplicate window (2 minutes) stores nothing more: a starter that
   * retries after a lost reply starts the message once.
   */
  id?: string;
  /** Headers the message carries along its route (every stop sees them); `traceparent` continues a trace. */
  headers?: HeadersInit;
  /** The payload's encoding along the route: `binary` (default) or `json`. */
  encoding?: Encoding;
}

/** A message started on a pipeline. */
export interface StartedRoute {
  /** The route's id: its dead letter, if it gets one, is found by it. */
  readonly id: string;
  readonly pipeline: string;
  readonly route: readonly string[];
  /** Whether the server already had a message of this id (a start made again). */
  readonly duplicate: boolean;
}

/**
 * Starts a message on a pipeline: stores it in the stream of its route's first stop with its
 * routing slip in its headers (docs/pipelines.md). The streams of the pipeline's declared stops
 * are created when missing, so that messages can be started before the stops run; a route given
 * in `options` must start at a stop whose stream exists (`not_found` otherwise).
 */
export async function startPipeline<Input extends DescMessage>(
  nc: NatsConnection,
  pipeline: PipelineDefinition<Input>,
  message: MessageInitShape<Input>,
  options: StartPipelineOptions = {},
): Promise<StartedRoute> {
  const route = options.route ?? pipeline.route;
  if (route.length === 0) {
    throw new RpcError(`pipeline ${pipeline.name}: the route is empty`, Code.InvalidArgument);
  }
  for (const stop of route) {
    const problem = checkStopName(stop);
    if (problem !== undefined) {
      throw new RpcError(`pipeline ${pipeline.name}: ${problem}`, Code.InvalidArgument);
    }
  }
  const id = options.id ?? nuid.next();
  if (!isRouteId(id)) {
    throw new RpcError(`pipeline ${pipeline.name}: route id ${JSON.stringify(id)} is not valid: use 1 to 200 of A-Z a-z 0-9 _ = -`, Code.InvalidArgument);
  }
  const encoding = options.encoding ?? "binary";
  const payload = encodeMessage(pipeline.input, create(pipeline.input, message), encoding);
  const given = new Headers(options.headers);
  if (encoding === "json") {
    given.set(HeaderName.ContentType, jsonContentType);
  }
  const headers = toNatsHeaders(given);
  const [first, ...remaining] = route as [string, ...string[]];
  setSlipHeaders(headers, {
    pipeline: pipeline.name,
    id,
    stop: first,
    remaining,
    position: 0,
    original: route,
    history: [],
    started: new Date(),
    type: pipeline.input.typeName,
    replay: 0,
  });
  const streams = await openPipelineStreams(nc, options);
  // The declared stops may be started before their servers run; a stop named only in code
  // must exist, so that a misspelt name is an error here rather than a stream nobody reads.
  await Promise.all(pipeline.route.map((stop) => streams.ensureStop(stop)));
  const published = await publishHop(streams, first, payload, headers, hopMessageId(id, 0, 0));
  if (published.unknownStop) {
    throw new RpcError(`pipeline ${pipeline.name}: no stop ${first}: its stream ${PipelineNames.stopStream(first)} does not exist (run a server of the stop first)`, Code.NotFound);
  }
  return { id, pipeline: pipeline.name, route: [...route], duplicate: published.duplicate };
}
