import { publishToStream } from "../transport/nats/jetstream-publish.js";
import type { MsgHdrs } from "../transport/nats/nats-client.js";
import { PipelineNames } from "./pipeline-names.js";
import type { PipelineStreams } from "./pipeline-streams.js";

/** What became of a hop's publish. */
export interface PublishedHop {
  /** The stop has no stream: no such stop was ever run (or its stream was deleted). */
  readonly unknownStop: boolean;
  /** The server had a message of this id already: the hop was published before. */
  readonly duplicate: boolean;
}

/**
 * Publishes a message to a stop's stream, with its id for the server's duplicate check, and
 * resolves once stored. A stop without a stream is told apart from a server that cannot answer
 * now (restarting, say), which rejects: only a stream the server says is not there makes the
 * stop unknown.
 */
export async function publishHop(streams: PipelineStreams, stop: string, payload: Uint8Array, headers: MsgHdrs, msgID: string): Promise<PublishedHop> {
  try {
    const ack = await publishToStream(streams.nc, PipelineNames.stopSubject(stop), payload, headers, { msgID, streamName: PipelineNames.stopStream(stop), atTurnEnd: true });
    return { unknownStop: false, duplicate: ack.duplicate };
  } catch (error) {
    // A subject without a stream has no responders, as has a server without JetStream: ask the server.
    if (!(await streamExists(streams, stop))) {
      return { unknownStop: true, duplicate: false };
    }
    throw error;
  }
}

// Whether the stop's stream exists: false only when the server says there is no such stream.
async function streamExists(streams: PipelineStreams, stop: string): Promise<boolean> {
  try {
    await streams.jsm.streams.info(PipelineNames.stopStream(stop));
    return true;
  } catch (error) {
    if (error instanceof Error && /stream not found/i.test(error.message)) {
      return false;
    }
    throw error;
  }
}
