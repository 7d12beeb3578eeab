/**
 * What a handler knows of the job it runs, when it runs as a durable job rather than for a
 * request (docs/jobs.md): `context.job` is `undefined` for a request.
 *
 * @example
 * async transcode(request, context) {
 *   for (const [index, chunk] of chunks.entries()) {
 *     await encode(chunk, { signal: context.signal });
 *     await context.job?.progress((index + 1) / chunks.length);
 *   }
 *   return { ... };
 * }
 */
export interface JobContext {
  /** The job's id, as the enqueuer chose it or as it was made. */
  readonly id: string;
  /** This attempt's number: 1 for the first. */
  readonly attempt: number;
  /** Attempts in all, the first included, from the method's job policy. */
  readonly attempts: number;
  /**
   * Tells the queue that the job is alive, which pushes its lease back at once. The worker does
   * so by itself while the handler runs; call it after work that kept the event loop busy.
   */
  heartbeat(): void;
  /**
   * Records how far the job is, a number such as a fraction or a count, for `status()` and the
   * CLI; it also pushes the lease back. Resolves once stored.
   */
  progress(value: number): Promise<void>;
}
