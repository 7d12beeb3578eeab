/**
 * Where pipelines live on JetStream (docs/pipelines.md): one work-queue stream per stop, shared by
 * every instance of the stop through one durable consumer, one dead-letter stream for all
 * pipelines, and a core NATS subject per pipeline where ended routes are announced.
 */
export const PipelineNames = {
  /** The stream of a stop's messages: `PIPELINE_<stop>`. */
  stopStream: (stop: string) => `PIPELINE_${stop}`,
  /** The subject of a stop's messages: `pipeline.stop.<stop>`. */
  stopSubject: (stop: string) => `pipeline.stop.${stop}`,
  /** The durable consumer of a stop's stream: the stop's name. */
  consumer: (stop: string) => stop,
  /** The dead-letter stream of every pipeline. */
  deadStream: "PIPELINE_DEAD",
  /** Subjects of the dead-letter stream. */
  deadSubjects: "pipeline.dead.>",
  /** Where a route's dead letter is kept: `pipeline.dead.<route id>`, one per route. */
  deadSubject: (routeId: string) => `pipeline.dead.${routeId}`,
  /** The key-value bucket where the attempts of messages that were tried before are counted. */
  attemptsBucket: "PIPELINE_ATTEMPTS",
  /** A message's key in the attempts bucket: `<stop>.<route id>.<position>.<replay>`. */
  attemptsKey: (stop: string, routeId: string, position: number, replay: number) => `${stop}.${routeId}.${position}.${replay}`,
  /** Where the routes of a pipeline that reach their last stop are announced (core NATS): `pipeline.done.<pipeline>`. */
  doneSubject: (pipeline: string) => `pipeline.done.${pipeline}`,
} as const;

/** Route ids: a subject token and part of a message id. */
const routeIdPattern = /^[A-Za-z0-9_=-]{1,200}$/;

/** Whether `id` can be a route id: 1 to 200 of `A-Z a-z 0-9 _ = -`. */
export function isRouteId(id: string): boolean {
  return routeIdPattern.test(id);
}

/**
 * The `Nats-Msg-Id` of a route's message at a position: a forward published again (its stop was
 * killed before its ack) is dropped by the server within the duplicate window. A replay starts a
 * new series, so that its messages are not taken for the first run's.
 */
export function hopMessageId(routeId: string, position: number, replay: number): string {
  return replay === 0 ? `${routeId}.${position}` : `${routeId}.${position}.r${replay}`;
}

/** How long a stop's stream remembers message ids, to drop a forward published twice. */
export const defaultDuplicateWindowMs = 2 * 60_000;

/** How long dead letters are kept unless told otherwise. */
export const defaultDeadLetterRetentionMs = 14 * 24 * 60 * 60_000;
