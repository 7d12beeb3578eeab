import { createInbox, ErrorCode, NatsError, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "nats";

/**
 * Sends requests and routes their replies back over one wildcard inbox subscription per
 * connection (`_INBOX.<unique>.*`), with a map of the calls waiting and a timer each.
 *
 * This is what `nc.request` does too, minus its cost per call: nats.js builds a `NatsError`, and
 * so captures a stack trace, for every request that succeeds (when it cancels the request
 * after the reply) and, unless the connection sets `noAsyncTraces`, two more before it sends it;
 * it also races two promises per call. Capturing stacks took about a fifth of a client's CPU in
 * the benchmarks (docs/benchmarks.md).
 *
 * Failures are nats.js's own errors with its codes, as `nc.request` reports them: `TIMEOUT`
 * (also for the calls still waiting when the connection closes, as nats.js does), `503` (no
 * responders), `PERMISSIONS_VIOLATION`, and whatever `publish` throws.
 */
export interface ReplyMultiplexer {
  request(subject: string, payload: Uint8Array, headers: MsgHdrs, timeoutMs: number): Promise<Msg>;
}

interface PendingCall {
  readonly subject: string;
  readonly resolve: (msg: Msg) => void;
  readonly reject: (reason: NatsError) => void;
  readonly timer: NodeJS.Timeout;
}

const multiplexers = new WeakMap<NatsConnection, ReplyMultiplexer>();

/**
 * Sends a request on the connection's reply multiplexer (made on first use) and resolves with
 * the first reply.
 *
 * @example
 * const reply = await requestReply(nc, "calc.v1.Calc.Average", payload, headers, 5_000);
 */
export function requestReply(nc: NatsConnection, subject: string, payload: Uint8Array, headers: MsgHdrs, timeoutMs: number): Promise<Msg> {
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
  return multiplexer.request(subject, payload, headers, timeoutMs);
}

/**
 * Subscribes to a fresh wildcard inbox on the connection. `onEnd` runs once the subscription has
 * ended (connection closed or drained, or the server refused it), after every waiting call has
 * been failed; the next request then makes a new multiplexer.
 */
function createReplyMultiplexer(nc: NatsConnection, onEnd: () => void): ReplyMultiplexer {
  // The connection's inbox prefix (the `inboxPrefix` option), which permissions may require.
  const inboxPrefix = (nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
  const base = `${createInbox(inboxPrefix)}.`;
  const pending = new Map<string, PendingCall>();
  let nextToken = 0;
  let ended = false;

  const settle = (token: string): PendingCall | undefined => {
    const call = pending.get(token);
    if (call !== undefined) {
      pending.delete(token);
      clearTimeout(call.timer);
    }
    return call;
  };
  const failAll = (error: () => NatsError) => {
    for (const token of [...pending.keys()]) {
      settle(token)?.reject(error());
    }
  };
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
      failAll(() => NatsError.errorForCode(ErrorCode.Timeout));
    }
  };

  const subscription: Subscription = nc.subscribe(`${base}*`, {
    callback: (error, msg) => {
      if (error !== null) {
        // The server refused the inbox (a permissions violation): no reply can arrive.
        onEnd();
        failAll(() => error);
        return;
      }
      const call = settle(msg.subject.slice(base.length));
      if (call === undefined) {
        return; // a reply after its call timed out or was answered already
      }
      // The server's "no responders" status: an empty message with status 503.
      if (msg.data.length === 0 && msg.headers?.code === 503) {
        call.reject(NatsError.errorForCode(ErrorCode.NoResponders));
      } else {
        call.resolve(msg);
      }
    },
  });
  void subscription.closed.then(end, end);
  // nats.js reports a publish the server refused only as a status; fail the calls to that subject.
  void (async () => {
    for await (const status of nc.status()) {
      if (ended) {
        break;
      }
      const context = status.permissionContext;
      if (context?.operation === "publish") {
        for (const [token, call] of pending) {
          if (call.subject === context.subject) {
            settle(token)?.reject(new NatsError(`permissions violation for publish to "${context.subject}"`, ErrorCode.PermissionsViolation));
          }
        }
      }
    }
  })().catch(() => undefined);

  return {
    request(subject, payload, headers, timeoutMs) {
      return new Promise<Msg>((resolve, reject) => {
        nextToken += 1;
        const token = nextToken.toString(36);
        const timer = setTimeout(() => settle(token)?.reject(NatsError.errorForCode(ErrorCode.Timeout)), timeoutMs);
        pending.set(token, { subject, resolve, reject, timer });
        try {
          nc.publish(subject, payload, { reply: `${base}${token}`, headers });
        } catch (error) {
          settle(token);
          reject(error);
        }
      });
    },
  };
}
