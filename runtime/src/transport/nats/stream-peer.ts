import type { Msg, MsgHdrs, NatsConnection } from "@nats-io/nats-core";
import { Code } from "../../protocol/code.js";
import { packMessages, unpackMessages, varintSize } from "../../protocol/message-pack.js";
import { RpcError } from "../../protocol/rpc-error.js";
import { frameSubject, FrameKind, missedHeartbeatsForDead, type FrameAddress } from "../../protocol/stream-frames.js";
import { publishAtTurnEnd } from "./turn-batch.js";

/** Bytes of messages a receiver aims to hold at most, whatever their size, beyond its first grant. */
const windowBytes = 1024 * 1024;
/** The least window, however large the messages. */
const minWindow = 8;
/** What a message frame costs beyond its payload, roughly: its subject and protocol line. */
const frameOverheadBytes = 64;
/** The credit a receiver grants before it has seen any message: the sizes are not known yet. */
const firstCredit = 64;

/** The credit a receiver with this window grants in its setup or open, before it has seen a message. */
export function initialCredit(window: number): number {
  return Math.min(window, firstCredit);
}

/** One message of a stream as received: its payload, and its headers (only the host's first message has any). */
export interface StreamMessage {
  readonly data: Uint8Array;
  readonly headers?: MsgHdrs | undefined;
}

/** Messages sent in one turn, which go out as one pack frame (or a message frame, when alone). */
interface Pack {
  readonly first: number;
  readonly payloads: Uint8Array[];
  bytes: number;
}

// Room a pack leaves under the server's max_payload.
const packHeadroomBytes = 64;

/** What one side of a stream is set up with. */
export interface StreamPeerSettings {
  readonly nc: NatsConnection;
  /**
   * The most messages this side receives that its application has not taken: the largest credit
   * it grants. Fewer for large messages (see {@link initialCredit}); 0 for a side that receives none.
   */
  readonly window: number;
  /** How often this side sends a frame when it has sent none; three without a frame from the peer mean it is dead. */
  readonly heartbeatMs: number;
  /** Told once when the stream fails on its way: the peer taken for dead, lost messages, a lost connection. */
  readonly onFailure: (error: RpcError) => void;
}

/** The peer's end of its messages: the sequence of its last message, and the end frame itself. */
export interface PeerEnd {
  readonly last: number;
  readonly msg: Msg;
}

/**
 * The part of a stream both sides share (docs/protocol.md, "Streaming"): numbering the messages
 * each way and checking that none is missing, packing those of one turn, credit (never sending
 * beyond the peer's grant, granting as the application takes messages, answering a blocked peer),
 * heartbeats and the liveness timeout. The host's and the caller's sides wrap it with what only they do.
 */
export class StreamPeer {
  readonly #settings: StreamPeerSettings;
  #peerInbox: string | undefined;
  // Sending.
  #sent = 0;
  #sendLimit: number;
  #creditWaiter: { resolve: () => void; reject: (error: RpcError) => void } | undefined;
  /** The messages of this turn not yet published, when there are any. */
  #pack: Pack | undefined;
  // Receiving.
  #received = 0;
  #taken = 0;
  #takenBytes = 0;
  #granted: number;
  readonly #queue: StreamMessage[] = [];
  #queueHead = 0;
  #peerEnd: PeerEnd | undefined;
  #readWaiter: { resolve: () => void; reject: (error: RpcError) => void } | undefined;
  // Liveness.
  #lastSentAt = Date.now();
  #lastHeardAt = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #failure: RpcError | undefined;
  /** Why the stream was stopped, if it was: every wait ends with it. */
  #stopped: RpcError | undefined;
  #closed = false;

  /** `sendLimit`: the credit the peer granted to begin with. */
  constructor(settings: StreamPeerSettings, sendLimit: number) {
    this.#settings = settings;
    this.#sendLimit = sendLimit;
    this.#granted = initialCredit(settings.window);
  }

  /** The messages sent so far (the sequence of the last). */
  get sent(): number {
    return this.#sent;
  }

  /** The failure the stream met on its way, if any. */
  get failure(): RpcError | undefined {
    return this.#failure;
  }

  /** The peer's end of its messages, once every message before it was received. */
  get peerEnd(): PeerEnd | undefined {
    return this.#peerEnd;
  }

  /** Starts talking to the peer's inbox: heartbeats, and the liveness check, from now. */
  connect(peerInbox: string): void {
    this.#peerInbox = peerInbox;
    this.#lastHeardAt = Date.now();
    this.#startTimer();
  }

  /** Checks liveness only, before the peer's inbox is known (a caller waiting for the open). */
  watchLiveness(): void {
    this.#lastHeardAt = Date.now();
    this.#startTimer();
  }

  /** Counts a frame from the peer as a sign of life (the owner handles the kinds it alone knows). */
  heard(): void {
    this.#lastHeardAt = Date.now();
  }

  /** Handles a message, credit, blocked or end frame from the peer. */
  onFrame(address: FrameAddress, msg: Msg): void {
    this.#lastHeardAt = Date.now();
    switch (address.kind) {
      case FrameKind.Message:
        if (address.number !== this.#received + 1) {
          this.fail(new RpcError(`message ${address.number} of the stream arrived after message ${this.#received}: messages were lost`, Code.DataLoss));
          return;
        }
        if (address.number > this.#granted) {
          this.fail(new RpcError(`the peer sent message ${address.number} with credit up to ${this.#granted} only`, Code.ResourceExhausted));
          return;
        }
        this.#received = address.number;
        this.#queue.push(msg);
        this.#wakeReader();
        return;
      case FrameKind.Pack:
        this.#receivePack(address.number, msg);
        return;
      case FrameKind.Credit:
        if (address.number > this.#sendLimit) {
          this.#sendLimit = address.number;
          const waiter = this.#creditWaiter;
          this.#creditWaiter = undefined;
          waiter?.resolve();
        }
        return;
      case FrameKind.Blocked:
        this.#publish(FrameKind.Credit, this.#granted);
        return;
      case FrameKind.End:
        if (address.number !== this.#received) {
          this.fail(new RpcError(`the stream ended after message ${address.number}, but ${this.#received} arrived: messages were lost`, Code.DataLoss));
          return;
        }
        this.#peerEnd = { last: address.number, msg };
        this.#wakeReader();
        return;
      default:
        return;
    }
  }

  /**
   * Resolves once the peer's credit allows one more message; `undefined` when it does already (the
   * common case, which costs no promise). Tells the peer it is blocked when it is.
   */
  waitForCredit(): Promise<void> | undefined {
    const stopped = this.#failure ?? this.#stopped;
    if (stopped !== undefined) {
      return Promise.reject(stopped);
    }
    if (this.#sent < this.#sendLimit) {
      return undefined;
    }
    this.#publish(FrameKind.Blocked, this.#sent);
    return new Promise<void>((resolve, reject) => {
      this.#creditWaiter = { resolve, reject };
    });
  }

  /**
   * Sends the next message; call once {@link waitForCredit} allows it. The messages of one turn
   * of the event loop go out together, in one pack frame, up to the server's max_payload; a
   * message with headers goes alone.
   */
  sendMessage(payload: Uint8Array, headers?: MsgHdrs): void {
    this.#sent += 1;
    if (headers !== undefined) {
      this.#publish(FrameKind.Message, this.#sent, payload, headers);
      return;
    }
    if (this.#peerInbox === undefined || this.#closed) {
      return;
    }
    let pack = this.#pack;
    const size = varintSize(payload.length) + payload.length;
    if (pack !== undefined && pack.bytes + size > (this.#settings.nc.info?.max_payload ?? 0) - packHeadroomBytes) {
      pack = undefined;
    }
    if (pack === undefined) {
      const started: Pack = { first: this.#sent, payloads: [], bytes: 0 };
      // Published at the turn's end, in its place among this side's frames, with what it holds by then.
      this.#queueFrame(() => this.#publishPack(started));
      pack = started;
      this.#pack = started;
    }
    pack.payloads.push(payload);
    pack.bytes += size;
  }

  /** Sends this side's end: no more messages, with the stream's status from a host. */
  sendEnd(headers?: MsgHdrs, payload?: Uint8Array): void {
    this.#publish(FrameKind.End, this.#sent, payload, headers);
  }

  /** Sends a frame of a kind only one side sends (open, cancel) to the peer's inbox. */
  sendFrame(kind: FrameKind, headers?: MsgHdrs, reply?: string): void {
    this.#publish(kind, undefined, undefined, headers, reply);
  }

  /**
   * The next message from the peer, counted as taken by the application (which grants credit for
   * another); `undefined` once the peer has ended its messages. Rejects with the stream's failure.
   */
  async take(): Promise<StreamMessage | undefined> {
    for (;;) {
      const msg = this.poll();
      if (msg !== undefined || this.#peerEnd !== undefined) {
        return msg;
      }
      await this.readable();
    }
  }

  /**
   * The next message if one is here, taken as {@link take} takes it; else `undefined` (then the
   * peer may have ended: see {@link peerEnd}). Throws the reason of a stream that was stopped at
   * once, and a stream's failure once nothing is left before it. Costs no promise: a reader of
   * many messages takes those at hand synchronously.
   */
  poll(): StreamMessage | undefined {
    // A stream its owner stopped (a cancel, a deadline, a stopping host) hands over nothing more,
    // even what is here already; one that failed on its way, what came before the failure.
    if (this.#stopped !== undefined) {
      throw this.#stopped;
    }
    if (this.#queueHead === this.#queue.length) {
      if (this.#failure !== undefined) {
        throw this.#failure;
      }
      return undefined;
    }
    const msg = this.#queue[this.#queueHead]!;
    this.#queueHead += 1;
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0;
      this.#queueHead = 0;
    } else if (this.#queueHead >= 1_024 && this.#queueHead * 2 >= this.#queue.length) {
      // A reader that never catches up never empties the queue: drop what it has taken, now and
      // then, or the queue would keep every message of the stream.
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    this.#taken += 1;
    this.#takenBytes += msg.data.length + frameOverheadBytes;
    // The window, in messages, that holds about windowBytes of messages of the size seen so far:
    // small messages get the whole window (throughput), large ones a few (memory).
    const window = Math.min(this.#settings.window, Math.max(minWindow, Math.floor((windowBytes * this.#taken) / this.#takenBytes)));
    const limit = this.#taken + window;
    // A grant per half window taken, not per message: the credit frames stay few.
    if (limit - this.#granted >= Math.max(1, window / 2)) {
      this.#granted = limit;
      this.#publish(FrameKind.Credit, limit);
    }
    return msg;
  }

  /** Resolves when a message or the peer's end is here to take; rejects with the stream's failure or stop. */
  readable(): Promise<void> {
    if (this.#queueHead < this.#queue.length || this.#peerEnd !== undefined) {
      return Promise.resolve();
    }
    const stopped = this.#failure ?? this.#stopped;
    if (stopped !== undefined) {
      return Promise.reject(stopped);
    }
    return new Promise<void>((resolve, reject) => {
      this.#readWaiter = { resolve, reject };
    });
  }

  /** Fails the stream on its way (once): waiters reject, the owner is told. */
  fail(error: RpcError): void {
    if (this.#failure !== undefined || this.#closed) {
      return;
    }
    this.#failure = error;
    this.#rejectWaiters(error);
    this.#settings.onFailure(error);
  }

  /**
   * Stops the waits for credit or messages, now and later, with `reason` (the stream is stopped);
   * frames can still be sent, such as the end.
   */
  interrupt(reason: RpcError): void {
    this.#stopped ??= reason;
    this.#rejectWaiters(reason);
  }

  /** Stops the timers and any waiting; sends nothing more. */
  close(reason?: RpcError): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearInterval(this.#timer);
    this.#rejectWaiters(reason ?? this.#failure ?? new RpcError("the stream is closed", Code.Canceled));
  }

  #rejectWaiters(error: RpcError): void {
    const credit = this.#creditWaiter;
    const read = this.#readWaiter;
    this.#creditWaiter = undefined;
    this.#readWaiter = undefined;
    credit?.reject(error);
    read?.reject(error);
  }

  #wakeReader(): void {
    const waiter = this.#readWaiter;
    this.#readWaiter = undefined;
    waiter?.resolve();
  }

  #startTimer(): void {
    if (this.#timer !== undefined || this.#closed) {
      return;
    }
    const { heartbeatMs } = this.#settings;
    // Twice per interval: a heartbeat goes at most half an interval late, and death is told within 3.5.
    this.#timer = setInterval(() => this.#tick(), Math.max(10, Math.floor(heartbeatMs / 2)));
    this.#timer.unref();
  }

  #tick(): void {
    const { heartbeatMs } = this.#settings;
    const now = Date.now();
    const silentMs = now - this.#lastHeardAt;
    if (silentMs > missedHeartbeatsForDead * heartbeatMs) {
      this.fail(new RpcError(`no word from the other side of the stream for ${silentMs} ms (heartbeats every ${heartbeatMs} ms): it is taken for gone`, Code.Unavailable));
      return;
    }
    if (this.#peerInbox !== undefined && now - this.#lastSentAt >= heartbeatMs) {
      if (this.#creditWaiter !== undefined) {
        this.#publish(FrameKind.Blocked, this.#sent);
      } else {
        this.#publish(FrameKind.Credit, this.#granted);
      }
    }
  }

  // Frames go at the end of the event loop's turn, in order, with every other frame of the turn in
  // one write (see publishAtTurnEnd): a producer's messages go out by the window, not one system
  // call each.
  #publish(kind: FrameKind, number: number | undefined, payload?: Uint8Array, headers?: MsgHdrs, reply?: string): void {
    if (this.#peerInbox === undefined || this.#closed) {
      return;
    }
    const subject = frameSubject(this.#peerInbox, kind, number);
    const options = headers === undefined && reply === undefined ? undefined : { ...(headers === undefined ? {} : { headers }), ...(reply === undefined ? {} : { reply }) };
    const publish = () => this.#publishNow(subject, payload, options);
    // Credit goes at once: the peer waits on it, and it may overtake this side's own messages,
    // which it says nothing about. So does a cancel, the last word of a caller that may close its
    // connection next.
    if (kind === FrameKind.Credit || kind === FrameKind.Cancel) {
      this.#lastSentAt = Date.now();
      publish();
    } else {
      this.#queueFrame(publish);
    }
  }

  // Queues a frame for the turn's end, after the frames queued before it: a pack started earlier
  // is complete, and the next message starts another.
  #queueFrame(publish: () => void): void {
    this.#lastSentAt = Date.now();
    this.#pack = undefined;
    publishAtTurnEnd(this.#settings.nc, publish);
  }

  #publishPack(pack: Pack): void {
    if (this.#pack === pack) {
      this.#pack = undefined;
    }
    const inbox = this.#peerInbox!;
    if (pack.payloads.length === 1) {
      this.#publishNow(frameSubject(inbox, FrameKind.Message, pack.first), pack.payloads[0], undefined);
    } else {
      this.#publishNow(frameSubject(inbox, FrameKind.Pack, pack.first), packMessages(pack.payloads), undefined);
    }
  }

  #publishNow(subject: string, payload: Uint8Array | undefined, options: { headers?: MsgHdrs; reply?: string } | undefined): void {
    try {
      this.#settings.nc.publish(subject, payload, options);
    } catch (error) {
      this.fail(new RpcError(`cannot send on the stream: ${error instanceof Error ? error.message : String(error)}`, Code.Unavailable, { cause: error }));
    }
  }

  // The messages of a pack frame, each checked and queued as a message frame's would be.
  #receivePack(first: number, msg: Msg): void {
    let payloads: Uint8Array[];
    try {
      payloads = unpackMessages(msg.data);
    } catch (error) {
      this.fail(new RpcError(`a pack of the stream cannot be read: ${error instanceof Error ? error.message : String(error)}`, Code.DataLoss));
      return;
    }
    const last = first + payloads.length - 1;
    if (payloads.length === 0 || first !== this.#received + 1) {
      this.fail(new RpcError(`messages ${first} to ${last} of the stream arrived after message ${this.#received}: messages were lost`, Code.DataLoss));
      return;
    }
    if (last > this.#granted) {
      this.fail(new RpcError(`the peer sent message ${last} with credit up to ${this.#granted} only`, Code.ResourceExhausted));
      return;
    }
    this.#received = last;
    for (const data of payloads) {
      this.#queue.push({ data });
    }
    this.#wakeReader();
  }
}
