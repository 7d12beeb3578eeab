import type { JobContext } from "../service/job-context.js";
import type { JsMsg } from "../transport/nats/jetstream-client.js";
import { JetStreamAttemptRequest } from "../transport/nats/jetstream-attempt-request.js";

/**
 * A job's message as the host's one call path sees it: the request of one attempt, whose
 * handler context has the job (`context.job`). Its reply is kept for the worker, which stores it.
 */
export class JobRequest extends JetStreamAttemptRequest {
  readonly job: JobContext;

  constructor(msg: JsMsg, attemptTimeoutMs: number, stopSignal: AbortSignal, job: JobContext) {
    super(msg, attemptTimeoutMs, stopSignal);
    this.job = job;
  }
}
