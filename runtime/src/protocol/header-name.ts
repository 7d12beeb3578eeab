/**
 * The NATS message headers of the wire contract (v2), in one place. `docs/protocol.md` describes
 * each of them.
 */
export const HeaderName = {
  /** Encoding of the payload: absent or a protobuf media type means binary, `application/json` means JSON. */
  ContentType: "Content-Type",
  /** Time the caller still waits for the reply, in whole milliseconds (relative, so clock skew does not matter). */
  Timeout: "Nats-Rpc-Timeout-Ms",
  /** ADR-32: the error message of an error reply. */
  ServiceError: "Nats-Service-Error",
  /** ADR-32: the HTTP-style numeric status of an error reply. */
  ServiceErrorCode: "Nats-Service-Error-Code",
  /** The exact {@link Code} of an error reply, which the numeric status cannot always tell apart. */
  RpcCode: "Nats-Rpc-Code",
  /** On an error reply: the payload is error details, a `google.rpc.Status` (its value) in the request's encoding. */
  ErrorDetails: "Nats-Rpc-Error-Details",
  /**
   * On a success reply: the HTTP status the gateway answers with, such as 201 (2xx only; 200 when
   * absent). The gateway removes it from the HTTP response.
   */
  HttpStatus: "Nats-Http-Status",
  /** On a request: `1` opens a stream (docs/protocol.md, "Streaming"). */
  StreamSetup: "Nats-Rpc-Stream",
  /** On a stream's setup and open: the highest message sequence the other side may send before it is granted more. */
  StreamCredit: "Nats-Rpc-Credit",
  /** On a stream's setup and open: how often each side sends a frame when it has sent none, in milliseconds. */
  StreamHeartbeat: "Nats-Rpc-Heartbeat-Ms",
  /** W3C trace context, passed through untouched. */
  TraceParent: "traceparent",
  /** W3C trace context, passed through untouched. */
  TraceState: "tracestate",
  /** On a job message (docs/jobs.md): the job's id. */
  JobId: "Nats-Job-Id",
  /** On a job message: which enqueue of the id it belongs to (the job record's `run`). */
  JobRun: "Nats-Job-Run",
  /** On a job message: the revision of the job's record when the message was published. */
  JobRevision: "Nats-Job-Revision",
  /** On a job message: no attempt starts before this time (RFC 3339, UTC). */
  JobNotBefore: "Nats-Job-Not-Before",
  /** On a job message: the attempts it may have in all. */
  JobMaxAttempts: "Nats-Job-Max-Attempts",
  /** On a dead letter: the attempts the job had. */
  JobAttempts: "Nats-Job-Attempts",
  /** On a dead letter: why the job ended there, in words. */
  JobReason: "Nats-Job-Reason",
  /** On a pipeline message (docs/pipelines.md): the route's id, one per started message, kept by every hop, retry and replay. */
  PipelineRouteId: "Nats-Pipeline-Route-Id",
  /**
   * On a pipeline message: the rest of its routing slip, as JSON: the pipeline, the stop it is
   * addressed to, the stops after it, the hops made before it, the route it was started with, the
   * stops it has been through with when, when it was started, its payload's type, its replays.
   */
  PipelineSlip: "Nats-Pipeline-Slip",
  /** On a pipeline dead letter: the stop where the message ended. */
  PipelineStop: "Nats-Pipeline-Stop",
  /** On a pipeline dead letter: why the message ended there, in words. */
  PipelineReason: "Nats-Pipeline-Reason",
  /** On a pipeline dead letter: the attempts the message had at its stop. */
  PipelineAttempts: "Nats-Pipeline-Attempts",
  /** On the reply of a stop called as an RPC: the stop dropped the message (`true`); the payload is empty. */
  PipelineDropped: "Nats-Pipeline-Dropped",
} as const;
