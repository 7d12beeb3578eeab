import { createInbox, type Msg, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { Code } from "../../protocol/code.js";
import { RpcError } from "../../protocol/rpc-error.js";
import { parseFrameAddress, type FrameAddress } from "../../protocol/stream-frames.js";

/** One side of a stream, told of the frames that reach its inbox. */
export interface FrameReceiver {
  onFrame(address: FrameAddress, msg: Msg): void;
  /** The connection was lost or closed: frames may have been lost, the peer cannot be reached. */
  onLost(error: RpcError): void;
}

/** An inbox of one stream, on its connection's subscription. */
export interface StreamInbox {
  /** The subject the peer sends frames under. */
  readonly subject: string;
  /** Stops routing frames to the receiver. */
  close(): void;
}

/** The inboxes of the streams of one connection, all on one wildcard subscription. */
interface InboxRouter {
  open(receiver: FrameReceiver): StreamInbox;
}

const routers = new WeakMap<NatsConnection, InboxRouter>();

/**
 * Opens an inbox for one stream on the connection (docs/protocol.md, "Inboxes and frames"):
 * `_INBOX.<unique>.<id>`, whose frames arrive on one `_INBOX.<unique>.>` subscription per
 * connection, made on first use, so that a stream costs no subscription of its own. Throws when
 * the connection is closed or draining.
 */
export function openStreamInbox(nc: NatsConnection, receiver: FrameReceiver): StreamInbox {
  let router = routers.get(nc);
  if (router === undefined) {
    const created = createInboxRouter(nc, () => {
      if (routers.get(nc) === created) {
        routers.delete(nc);
      }
    });
    router = created;
    routers.set(nc, router);
  }
  return router.open(receiver);
}

function createInboxRouter(nc: NatsConnection, onEnd: () => void): InboxRouter {
  // The connection's inbox prefix (the `inboxPrefix` option), which permissions may require.
  const inboxPrefix = (nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
  const base = `${createInbox(inboxPrefix)}.`;
  const receivers = new Map<string, FrameReceiver>();
  let nextId = 0;
  let ended = false;

  const loseAll = (error: RpcError) => {
    for (const receiver of [...receivers.values()]) {
      receiver.onLost(error);
    }
  };
  const end = (reason: string) => {
    if (!ended) {
      ended = true;
      onEnd();
      loseAll(new RpcError(reason, Code.Unavailable));
      receivers.clear();
    }
  };

  const subscription: Subscription = nc.subscribe(`${base}>`, {
    callback: (error, msg) => {
      if (error !== null) {
        end(`the server refused the stream inbox: ${error.message}`);
        return;
      }
      const rest = msg.subject.slice(base.length);
      const dot = rest.indexOf(".");
      const receiver = receivers.get(dot === -1 ? rest : rest.slice(0, dot));
      const address = parseFrameAddress(dot === -1 ? "" : rest.slice(dot + 1));
      if (receiver !== undefined && address !== undefined) {
        receiver.onFrame(address, msg);
      }
    },
  });
  void subscription.closed.then(
    () => end("the connection to the NATS server was closed"),
    () => end("the connection to the NATS server was closed"),
  );
  // A lost connection loses the frames sent meanwhile, and the server's interest in this inbox:
  // the streams fail at once rather than at their next gap or missed heartbeat.
  void (async () => {
    for await (const status of nc.status()) {
      if (ended) {
        break;
      }
      if (status.type === "disconnect") {
        loseAll(new RpcError("the connection to the NATS server was lost", Code.Unavailable));
      }
    }
  })().catch(() => undefined);

  return {
    open(receiver) {
      if (ended || nc.isClosed() || nc.isDraining()) {
        throw new RpcError("the connection to the NATS server is closed", Code.Unavailable);
      }
      nextId += 1;
      const id = nextId.toString(36);
      receivers.set(id, receiver);
      return {
        subject: `${base}${id}`,
        close: () => {
          receivers.delete(id);
        },
      };
    },
  };
}
