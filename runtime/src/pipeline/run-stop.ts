import { Code } from "../protocol/code.js";
import { setErrorHeaders } from "../protocol/error-headers.js";
import { HeaderName } from "../protocol/header-name.js";
import { RpcError } from "../protocol/rpc-error.js";
import type { HostEndpoint } from "../host/host-endpoint.js";
import { invokeUnary } from "../host/invoke-unary.js";
import { jobBackoffMs } from "../service/job-policy.js";
import type { StopPolicy } from "../service/stop-policy.js";
import type { MsgHdrs, NatsConnection } from "../transport/nats/nats-client.js";
import type { JsMsg } from "../transport/nats/jetstream-client.js";
import type { LeaseRenewer } from "../transport/nats/jetstream-lease-renewer.js";
import { natsHeaderReader, toFetchHeaders, toNatsHeaders } from "../transport/nats/message-headers.js";
import { publishAtTurnEnd } from "../transport/nats/turn-batch.js";
import { hopMessageId, PipelineNames } from "./pipeline-names.js";
import { PipelineRequest } from "./pipeline-request.js";
import { readAttempts, type AttemptLedger } from "./attempt-ledger.js";
import type { PipelineStreams } from "./pipeline-streams.js";
import { publishHop } from "./publish-hop.js";
import { createRoutePlan } from "./route-plan.js";
import { carriedHeaders, forwardedHeaders, readSlip, setSlipHeaders, type RouteSlip } from "./route-slip.js";
import type { StopOutcome } from "./stop-counters.js";

/** What every message the stops of a host run shares. */
export interface StopRunner {
  readonly nc: NatsConnection;
  readonly streams: PipelineStreams;
  /** The consumers' ack wait: a message whose runner stops renewing it is delivered again after it. */
  readonly leaseMs: number;
  /** Renews the leases of the messages being run. */
  readonly leases: LeaseRenewer;
  /** Aborted when a stopping runner gives up waiting for the running messages: aborts their signals. */
  readonly stopSignal: AbortSignal;
  /**
   * Told of each delivery's end, before the message is acknowledged (or put back): for the
   * counters, the metrics and the logs.
   */
  finished(hop: FinishedHop): void;
}

/** One delivery at a stop that its runner is done with. */
export interface FinishedHop {
  /** The stop's method (its ADR-32 endpoint name). */
  readonly method: string;
  readonly stop: string;
  readonly pipeline: string;
  /** The route's id (`seq-<n>` for a message without a readable slip). */
  readonly routeId: string;
  readonly outcome: StopOutcome;
  /** Whether the handler ran (and threw, for `failed` attempts). */
  readonly attemptFailed: boolean;
  /** From delivery to the end, in milliseconds. */
  readonly durationMs: number;
  /** The stop the message was forwarded to. */
  readonly next: string | undefined;
  /** The error of the attempt, or why the message was dead-lettered. */
  readonly error: RpcError | undefined;
}

/**
 * Runs one delivery of a pipeline message at a stop (docs/pipelines.md): reads its routing slip,
 * dead-letters a message that cannot go on (unreadable slip, too many hops, another type than
 * the stop takes, its stop's process lost during every attempt), else runs the handler through
 * the host's one call path and, before the message is acknowledged, publishes the reply to the
 * next stop (its id derived from the route id and position, so that a second publish is dropped
 * by the server) or ends the route; a failed attempt is retried after its back-off or, after the
 * last, dead-lettered. Never throws: what it cannot do now is left for the message's next delivery.
 */
export async function runStop(runner: StopRunner, endpoint: HostEndpoint, msg: JsMsg): Promise<void> {
  const startedAt = process.hrtime.bigint();
  const policy = endpoint.definition.stop!;
  // Held while the message waits for the server as much as while it runs.
  const release = runner.leases.hold(msg);
  let ended: Ended | undefined;
  try {
    ended = await deliver(runner, endpoint, policy, msg);
  } catch {
    // The server could not be reached (a restart, say): the message comes back after a while.
    msg.nak(1_000);
  } finally {
    release();
  }
  if (ended === undefined) {
    return;
  }
  runner.finished({ ...ended, method: endpoint.definition.name, stop: policy.name, durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6 });
  if (ended.outcome === "retried") {
    return; // put back with its back-off already
  }
  // With the hops and acks of the other messages of this turn, in one write: a write per message
  // costs this process and nats-server more than the rest of the hop.
  await new Promise<void>((resolve) =>
    publishAtTurnEnd(runner.nc, () => {
      try {
        if (ended.outcome === "given_back") {
          msg.nak();
        } else {
          msg.ack();
        }
      } catch {
        // A closed connection: the message comes back after its lease.
      } finally {
        resolve();
      }
    }),
  );
}

type Ended = Omit<FinishedHop, "method" | "stop" | "durationMs">;

async function deliver(runner: StopRunner, endpoint: HostEndpoint, policy: StopPolicy, msg: JsMsg): Promise<Ended> {
  const read = readSlip(natsHeaderReader(msg.headers));
  if (read.slip === undefined) {
    const routeId = `seq-${msg.seq}`;
    const error = new RpcError(`message ${msg.seq} at stop ${policy.name} has an unreadable routing slip: ${read.problem}`, Code.InvalidArgument);
    await deadLetter(runner, msg, undefined, routeId, policy.name, error.rawMessage, 0, undefined);
    return { pipeline: "", routeId, outcome: "dead_lettered", attemptFailed: false, next: undefined, error };
  }
  const slip: RouteSlip = read.slip.stop === policy.name ? read.slip : { ...read.slip, stop: policy.name };
  const refuse = async (reason: string, attempts: number, code: Code) => {
    const error = new RpcError(reason, code);
    await deadLetter(runner, msg, slip, slip.id, policy.name, reason, attempts, undefined);
    return { pipeline: slip.pipeline, routeId: slip.id, outcome: "dead_lettered", attemptFailed: false, next: undefined, error } satisfies Ended;
  };
  if (slip.position > policy.maxHops) {
    return refuse(`the route looped: ${slip.position} hops made on reaching stop ${policy.name}, over its limit of ${policy.maxHops}`, 0, Code.FailedPrecondition);
  }
  const input = endpoint.definition.method.input.typeName;
  if (slip.type !== "" && slip.type !== input) {
    const from = slip.history.at(-1)?.stop;
    return refuse(`type mismatch: stop ${policy.name} takes ${input}, but the message is a ${slip.type}${from === undefined ? "" : ` (from stop ${from})`}`, 0, Code.InvalidArgument);
  }

  const ledger = await readAttempts(
    () => runner.streams.attempts(),
    PipelineNames.attemptsKey(policy.name, slip.id, slip.position, slip.replay),
    msg.info.deliveryCount,
    Date.now() - msg.info.timestampNanos / 1e6,
    runner.leaseMs,
  );
  if (ledger.previous >= policy.attempts) {
    // Every attempt ended without a word from its handler: the process was killed (or stopped) during each.
    const ended = await refuse(`the process of stop ${policy.name} stopped during each of its ${ledger.previous} attempts`, ledger.previous, Code.Aborted);
    ledger.forget();
    return ended;
  }
  const attempt = ledger.previous + 1;
  if (ledger.suspect) {
    // Written before the handler runs, so that a process it kills has the attempt counted.
    await ledger.record(attempt);
  }
  const ended = await attemptAt(runner, endpoint, policy, msg, slip, attempt, ledger, refuse);
  if (ended.outcome !== "retried" && ended.outcome !== "given_back") {
    ledger.forget();
  }
  return ended;
}

// Runs one attempt of a message at its stop, and forwards, ends, retries or dead-letters it.
async function attemptAt(
  runner: StopRunner,
  endpoint: HostEndpoint,
  policy: StopPolicy,
  msg: JsMsg,
  slip: RouteSlip,
  attempt: number,
  ledger: AttemptLedger,
  refuse: (reason: string, attempts: number, code: Code) => Promise<Ended>,
): Promise<Ended> {
  const plan = createRoutePlan(slip, attempt, policy.attempts);
  const request = new PipelineRequest(msg, policy.attemptTimeoutMs, runner.stopSignal, plan);
  try {
    await invokeUnary(endpoint, request);
  } finally {
    request.end();
  }
  const { reply } = request;
  const base = { pipeline: slip.pipeline, routeId: slip.id };
  if (runner.stopSignal.aborted && (reply === undefined || reply.error !== undefined)) {
    // Stopped, not failed: the message goes back to the stream for another instance.
    return { ...base, outcome: "given_back", attemptFailed: false, next: undefined, error: undefined };
  }
  if (reply === undefined || reply.error !== undefined) {
    const error = reply?.error ?? new RpcError(`attempt ${attempt} at stop ${policy.name} ran out of its ${policy.attemptTimeoutMs} ms`, Code.DeadlineExceeded);
    if (!policy.nonRetryableCodes.includes(error.code) && attempt < policy.attempts) {
      if (!ledger.suspect) {
        await ledger.record(attempt); // the next delivery reads it
      }
      msg.nak(jobBackoffMs(policy, attempt));
      return { ...base, outcome: "retried", attemptFailed: true, next: undefined, error };
    }
    const reason = policy.nonRetryableCodes.includes(error.code) ? `the handler of stop ${policy.name} failed with ${error.code}, which is not retried` : `all ${policy.attempts} attempts at stop ${policy.name} failed`;
    await deadLetter(runner, msg, slip, slip.id, policy.name, reason, attempt, error);
    return { ...base, outcome: "dead_lettered", attemptFailed: true, next: undefined, error };
  }
  if (reply.header?.get(HeaderName.PipelineDropped) === "true") {
    return { ...base, outcome: "dropped", attemptFailed: false, next: undefined, error: undefined };
  }
  const [next, ...rest] = plan.remaining;
  const headers = forwardedHeaders(msg.headers);
  setSlipHeaders(headers, {
    ...slip,
    stop: next ?? policy.name,
    remaining: rest,
    position: slip.position + 1,
    history: [...slip.history, { stop: policy.name, at: new Date() }],
    type: endpoint.definition.method.output.typeName,
  });
  if (next === undefined) {
    announceEnd(runner, slip.pipeline, reply.payload, headers);
    return { ...base, outcome: "completed", attemptFailed: false, next: undefined, error: undefined };
  }
  const published = await publishHop(runner.streams, next, reply.payload, headers, hopMessageId(slip.id, slip.position + 1, slip.replay));
  if (published.unknownStop) {
    return refuse(`unknown stop ${next}: the route of stop ${policy.name} goes on to ${next}, which has no stream ${PipelineNames.stopStream(next)}`, attempt, Code.NotFound);
  }
  return { ...base, outcome: "forwarded", attemptFailed: false, next, error: undefined };
}

/**
 * Keeps a message that cannot go on in the dead-letter stream, one letter per route: its payload
 * and headers as they reached the stop, why, the attempts it had, and the last error in the
 * ADR-32 error headers. Deduplicated by route, position and replay, so that a runner that stops
 * after it and before the ack does not keep it twice.
 */
async function deadLetter(runner: StopRunner, msg: JsMsg, slip: RouteSlip | undefined, routeId: string, stop: string, reason: string, attempts: number, error: RpcError | undefined): Promise<void> {
  await runner.streams.ensureDead();
  const headers = toFetchHeaders(carriedHeaders(msg.headers));
  headers.set(HeaderName.PipelineRouteId, routeId);
  headers.set(HeaderName.PipelineStop, stop);
  headers.set(HeaderName.PipelineReason, reason);
  headers.set(HeaderName.PipelineAttempts, String(attempts));
  if (error !== undefined) {
    setErrorHeaders(headers, error);
  }
  const position = slip?.position ?? 0;
  await runner.streams.js.publish(PipelineNames.deadSubject(routeId), msg.data, {
    headers: toNatsHeaders(headers),
    msgID: `${hopMessageId(routeId, position, slip?.replay ?? 0)}.dead`,
  });
}

// Tells whoever follows the pipeline's ends that a route reached its last stop, with the last
// reply and the slip; core NATS, so nobody listening costs nothing.
function announceEnd(runner: StopRunner, pipeline: string, payload: Uint8Array, headers: MsgHdrs): void {
  publishAtTurnEnd(runner.nc, () => {
    try {
      runner.nc.publish(PipelineNames.doneSubject(pipeline === "" ? "_" : pipeline), payload, { headers });
    } catch {
      // A closed connection: the end is counted all the same.
    }
  });
}
