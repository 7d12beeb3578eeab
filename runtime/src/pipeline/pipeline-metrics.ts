/**
 * What the stops of a host record: a structural type of prom-client's metrics, so that the
 * runner loads no prom-client (`createPipelineMetrics` of "nats-micro-runtime/metrics" makes them).
 */
export interface PipelineMetrics {
  /**
   * `nats_micro_pipeline_messages_total{service,stop,event}`: messages `received`, `forwarded`,
   * `completed`, `dropped` and `dead_lettered` at a stop, and attempts `failed`.
   */
  readonly messages: { inc(labels: { service: string; stop: string; event: string }): void };
  /** `nats_micro_pipeline_stop_duration_seconds{service,stop,outcome}`: from delivery to the forward stored (or the drop, the retry, the dead letter). */
  readonly duration: { observe(labels: { service: string; stop: string; outcome: string }, seconds: number): void };
}
