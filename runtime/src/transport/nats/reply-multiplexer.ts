import {
  ClosedConnectionError,
  createInbox,
  NoRespondersError,
  PermissionViolationError,
  TimeoutError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/nats-core";
import { Code } from "../../protocol/code.js";
import { RpcError } from "../../protocol/rpc-error.js";
import { isNatsError } from "./nats-errors.js";
import { publishAtTurnEnd } from "./turn-batch.js";

/**
 * Sends requests and routes their replies back over one wildcard inbox subscription per
 * connection (`_INBOX.<unique>.*`), with a map of the calls waiting and a timer each.
 *
 * This is what `nc.request` does too, minus its cost per call: nats.js makes a request object,
 * a deferred promise and (unless the connection sets `noAsyncTraces`) an `Error` to capture a
 * stack for every request, and races a timer promise against the reply.
 *
 * Failures are nats.js's own error classes: `TimeoutError`, `NoRespondersError`,
 * `PermissionViolationError`, `ClosedConnectionError` for the calls still waiting when the
 * connection closes, and whatever `publish` throws; and an `unavailable` `RpcError` for the
 * calls sent before the connection to the server was lost.
 */
export interface ReplyMultiplexer {
  request(subject: string, payload: Uint8Array, headers: MsgHdrs | undefined, timeoutMs: number, batched: boolean): Promise<Msg>;
}

interface PendingCall {
  readonly subject: string;
  readonly resolve: (msg: Msg) => void;
  readonly reject: (reason: Error) => void;
  readonly timer: NodeJS.Timeout;
  /** Handed to nats.js: from then on a lost connection loses the call. */
  sent: boolean;
}

const multiplexers = new WeakMap<NatsConnection, ReplyMultiplexer>();

/**
 * Sends a request on the connection's reply multiplexer (made on first use) and resolves with
 * the first reply. `batched` sends it at the end of the event loop's turn, with the other
 * requests of the turn (see `publishAtTurnEnd`).
 *
 * @example
 * const reply = await requestReply(nc, "calc.v1.Calc.Average", payload, headers, 5_000);
 */
export function requestReply(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array,
  headers: MsgHdrs | undefined,
  timeoutMs: number,
  batched = false,
): Promise<Msg> {
  let multiplexer = multiplexers.get(nc);
  if (multiplexer === undefined) {
    try {
      const created = createReplyMultiplexer(nc, () => {
        if (multiplexers.get(nc) === created) {
          multiplexers.delete(nc);
        }
      });
      multiplexer = created;
    } catch (error) {
      // A closed or draining connection refuses the subscription: the call fails as nc.request's would.
      return Promise.reject(error);
    }
    multiplexers.set(nc, multiplexer);
  }
  return multiplexer.request(subject, payload, headers, timeoutMs, batched);
}

/**
 * Subscribes to a fresh wildcard inbox on the connection. `onEnd` runs once the subscription has
 * ended (connection closed or drained, or the server refused it), before every waiting call is
 * failed; the next request then makes a new multiplexer.
 */
function createReplyMultiplexer(nc: NatsConnection, onEnd: () => void): ReplyMultiplexer {
  // The connection's inbox prefix (the `inboxPrefix` option), which permissions may require.
  const inboxPrefix = (nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
  const base = `${createInbox(inboxPrefix)}.`;
  const pending = new Map<string, PendingCall>();
  let nextToken = 0;
  let ended = false;
  // Between a lost connection and the next: the publishes of the calls made meanwhile.
  let disconnected = false;
  const held: Array<() => void> = [];

  const settle = (token: string): PendingCall | undefined => {
    const call = pending.get(token);
    if (call !== undefined) {
      pending.delete(token);
      clearTimeout(call.timer);
    }
    return call;
  };
  const failAll = (error: () => Error) => {
    for (const token of [...pending.keys()]) {
      settle(token)?.reject(error());
    }
  };
  const end = (error?: Error) => {
    if (!ended) {
      ended = true;
      onEnd();
      failAll(() => error ?? new ClosedConnectionError());
    }
  };

  const subscription: Subscription = nc.subscribe(`${base}*`, {
    callback: (error, msg) => {
      if (error !== null) {
        // The server refused the inbox (a permissions violation): no reply can arrive.
        end(error);
        return;
      }
      const call = settle(msg.subject.slice(base.length));
      if (call === undefined) {
        return; // a reply after its call timed out or was answered already
      }
      // The server's "no responders" status: an empty message with status 503.
      if (msg.data.length === 0 && msg.headers?.code === 503) {
        call.reject(new NoRespondersError(call.subject));
      } else {
        call.resolve(msg);
      }
    },
  });
  void subscription.closed.then(
    (error) => end(error instanceof Error ? error : undefined),
    (error: unknown) => end(error instanceof Error ? error : undefined),
  );
  // nats.js reports a publish the server refused only as a status; fail the calls to that subject.
  void (async () => {
    for await (const status of nc.status()) {
      if (ended) {
        break;
      }
      if (status.type === "disconnect") {
        // The calls already sent are lost with the server: its subscription to our inbox went with
        // it. Failing them now, as unavailable, spares their callers the wait for the deadline and
        // lets retry policies retry them.
        disconnected = true;
        for (const [token, call] of pending) {
          if (call.sent) {
            settle(token)?.reject(new RpcError(`the connection to the NATS server was lost before the reply from ${call.subject} came`, Code.Unavailable));
          }
        }
      }
      if (status.type === "reconnect") {
        disconnected = false;
        for (const publish of held.splice(0)) {
          publish();
        }
      }
      if (status.type === "error" && isNatsError(status.error, PermissionViolationError) && status.error.operation === "publish") {
        const refused = status.error;
        for (const [token, call] of pending) {
          if (call.subject === refused.subject) {
            settle(token)?.reject(refused);
          }
        }
      }
    }
  })().catch(() => undefined);

  return {
    request(subject, payload, headers, timeoutMs, batched) {
      return new Promise<Msg>((resolve, reject) => {
        nextToken += 1;
        const token = nextToken.toString(36);
        const timer = setTimeout(() => settle(token)?.reject(new TimeoutError()), timeoutMs);
        const call: PendingCall = { subject, resolve, reject, timer, sent: false };
        pending.set(token, call);
        const publish = () => {
          if (!pending.has(token)) {
            return; // timed out or failed while it waited to be sent
          }
          // nats.js drops what is published while it reconnects (each attempt starts with an
          // empty buffer): such calls wait here and go out once the connection is back. On a
          // closed connection publish throws, which fails the call at once.
          if (!nc.isClosed() && (disconnected || !isConnected(nc))) {
            held.push(publish);
            return;
          }
          try {
            nc.publish(subject, payload, headers === undefined ? { reply: `${base}${token}` } : { reply: `${base}${token}`, headers });
            call.sent = true;
          } catch (error) {
            // Only a call still waiting: it may have timed out or been failed meanwhile.
            if (settle(token) !== undefined) {
              reject(error);
            }
          }
        };
        if (batched) {
          publishAtTurnEnd(nc, publish);
        } else {
          publish();
        }
      });
    },
  };
}

// nats.js knows a connection is lost (its protocol's `connected`) a moment before its
// `disconnect` status reaches us; an internal field, so a missing one counts as connected.
function isConnected(nc: NatsConnection): boolean {
  return (nc as { protocol?: { connected?: unknown } }).protocol?.connected !== false;
}
