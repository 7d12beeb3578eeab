import type { ServerResponse } from "node:http";
import type { Message } from "@bufbuild/protobuf";
import { Code } from "../protocol/code.js";
import { RpcError } from "../protocol/rpc-error.js";
import { errorFrame, replyFrame, type StreamFormat } from "./stream-format.js";

/** How a stream's response ended. */
export type StreamOutcome = "completed" | "failed" | "disconnected" | "stopped";

/** What {@link sendStream} needs besides the response and the replies. */
export interface SendStreamSettings {
  readonly format: StreamFormat;
  /** The JSON text of one reply. */
  readonly replyJson: (reply: Message) => string;
  /** The `google.rpc.Status` JSON of a failure. */
  readonly errorJson: (error: RpcError) => string;
  /** Resolves when the gateway stops the stream (it is closing): the response ends with this error. */
  readonly stopped: Promise<RpcError>;
  /** Cancels the stream on the host at once, even while a reply is awaited. */
  readonly cancel: () => void;
}

type Step =
  | { readonly kind: "reply"; readonly result: IteratorResult<Message> }
  | { readonly kind: "error"; readonly error: RpcError }
  | { readonly kind: "drained" }
  | { readonly kind: "closed" }
  | { readonly kind: "stopped"; readonly error: RpcError };

/**
 * Writes the replies of a stream whose first reply (`first`) has come, with the status and headers
 * set, each as soon as it comes. The next reply is asked for only once the last one is taken by
 * the connection (`write` returned true, or after `drain`): a slow HTTP client leaves the stream's
 * credit unspent, so the host waits for it instead of the gateway's memory. A client that leaves,
 * or a gateway that stops the stream, cancels it on the host.
 */
export async function sendStream(response: ServerResponse, first: IteratorResult<Message>, replies: AsyncIterator<Message>, settings: SendStreamSettings): Promise<StreamOutcome> {
  const { format } = settings;
  // The client leaving or the gateway stopping ends whatever the loop waits for. One waiter at a
  // time, rather than a race per reply against promises of the whole stream, which would keep a
  // reaction for every reply until the stream ends.
  let interruption: Step | undefined;
  let wake: ((step: Step) => void) | undefined;
  const interrupt = (step: Step) => {
    interruption ??= step;
    wake?.(interruption);
  };
  const onClose = () => interrupt({ kind: "closed" });
  response.once("close", onClose);
  void settings.stopped.then((error) => interrupt({ kind: "stopped", error }));
  const wait = (start: (resolve: (step: Step) => void) => void): Promise<Step> =>
    new Promise((resolve) => {
      if (interruption !== undefined) {
        resolve(interruption);
        return;
      }
      wake = resolve;
      start(resolve);
    });
  const leave = (): void => {
    settings.cancel();
    void Promise.resolve(replies.return?.()).catch(() => undefined);
  };
  try {
    let step: Step = { kind: "reply", result: first };
    for (;;) {
      switch (step.kind) {
        case "closed":
          leave();
          return "disconnected";
        case "stopped":
          leave();
          response.end(errorFrame(format, settings.errorJson(step.error)));
          return "stopped";
        case "error":
          response.end(errorFrame(format, settings.errorJson(step.error)));
          return "failed";
        case "reply":
          if (step.result.done === true) {
            response.end();
            return "completed";
          }
          let frame: string;
          try {
            frame = replyFrame(format, settings.replyJson(step.result.value));
          } catch (reason) {
            // A reply JSON cannot say (an Any of an unknown type): the stream cannot go on.
            leave();
            response.end(errorFrame(format, settings.errorJson(new RpcError(`cannot write a reply as JSON: ${RpcError.from(reason).rawMessage}`, Code.Internal, { cause: reason }))));
            return "failed";
          }
          if (!response.write(frame)) {
            step = await wait((resolve) => response.once("drain", () => resolve({ kind: "drained" })));
            continue;
          }
          break;
        case "drained":
          break;
      }
      step = await wait((resolve) => {
        replies.next().then(
          (result) => resolve({ kind: "reply", result }),
          (reason: unknown) => resolve({ kind: "error", error: RpcError.from(reason) }),
        );
      });
    }
  } finally {
    wake = undefined;
    response.off("close", onClose);
  }
}
