/**
 * What a job worker records, per method: a structural type of prom-client's metrics, so that the
 * worker loads no prom-client (`createJobMetrics` of "nats-micro-runtime/metrics" makes them).
 */
export interface JobMetrics {
  /** `nats_micro_jobs_total{service,method,outcome}`: deliveries by what became of them. */
  readonly jobs: { inc(labels: { service: string; method: string; outcome: string }): void };
  /** `nats_micro_job_duration_seconds{service,method,outcome}`: from delivery to the stored end. */
  readonly duration: { observe(labels: { service: string; method: string; outcome: string }, seconds: number): void };
  /** `nats_micro_jobs_queued{service,method}`: jobs in the work queue, waiting or running. */
  readonly queued: { set(labels: { service: string; method: string }, value: number): void };
  /** `nats_micro_jobs_oldest_age_seconds{service,method}`: age of the oldest job in the work queue. */
  readonly oldestAge: { set(labels: { service: string; method: string }, seconds: number): void };
}
