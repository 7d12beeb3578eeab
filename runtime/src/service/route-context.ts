/** One stop a message has been through, and when it was done there. */
export interface RouteHop {
  readonly stop: string;
  readonly at: Date;
}

/**
 * What a stop's handler knows of the routing slip of the message it handles, when it runs as a
 * pipeline stop (docs/pipelines.md): `context.route` is `undefined` for a request or a job. A
 * router stop changes the rest of the route from the message's content; the stop the message goes
 * to next sees only its typed message.
 *
 * @example
 * async busDriver(account, context) {
 *   if (account.state === "closed") {
 *     context.route?.replace(["Archive"]); // this message goes to Archive only
 *   } else if (account.vip) {
 *     context.route?.insert("VipDesk"); // VipDesk next, then the rest of the route
 *   }
 *   return account;
 * }
 */
export interface RouteContext {
  /** The pipeline the message was started on. */
  readonly pipeline: string;
  /** The route's id, one per started message: replays and retries keep it. */
  readonly id: string;
  /** The stop running now. */
  readonly stop: string;
  /** Hops the message made before this stop: 0 at the first stop. */
  readonly position: number;
  /** This attempt's number at this stop: 1 for the first. */
  readonly attempt: number;
  /** Attempts in all at this stop, from its policy. */
  readonly attempts: number;
  /** The route the message was started with. */
  readonly original: readonly string[];
  /** Replays of the route from the dead letters so far: 0 unless it was replayed. */
  readonly replay: number;
  /** The stops the message has been through, oldest first, with when each was done. */
  readonly history: readonly RouteHop[];
  /** The stops still to visit after this one, with the changes made so far. */
  readonly remaining: readonly string[];
  /** Replaces the rest of the route: the message goes to these stops after this one (none: the route ends here). */
  replace(stops: readonly string[]): void;
  /** Sends the message to these stops next, before the rest of the route. */
  insert(...stops: string[]): void;
  /**
   * Takes a stop out of the rest of the route: the next one, or the first one named `stop`.
   * Returns whether there was one to take out.
   */
  skip(stop?: string): boolean;
}
