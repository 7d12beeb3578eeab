import type { Counter, Histogram } from "prom-client";
import type { CodeLabels, MethodLabels, RpcMetrics } from "./rpc-metrics.js";

// Type imports only: a host or client without metrics never loads prom-client.

/** The code label of a request that succeeded; failures carry their `Code` value. */
export const okCode = "ok";

/**
 * The metrics of one method, with its label values bound once so that recording a request does
 * not look series up by labels. Internal: hosts and clients build one per endpoint.
 */
export interface MethodMetrics {
  /** Counts a request as received (servers only; a no-op for clients). */
  started(): void;
  /** Records a finished request: its outcome and the time since `startedAt` (`process.hrtime.bigint()`). */
  finished(startedAt: bigint, code: string): void;
  /** Counts one retry of a call (clients only). */
  retried?: () => void;
}

/** Binds the server metrics to one method. */
export function serverMethodMetrics(metrics: RpcMetrics, service: string, method: string): MethodMetrics {
  const { requests, duration, inFlight } = metrics.server;
  const inFlightChild = inFlight.labels(service, method);
  const recordFinished = methodRecorder(requests, duration, service, method);
  return {
    started: () => inFlightChild.inc(),
    finished(startedAt, code) {
      inFlightChild.dec();
      recordFinished(startedAt, code);
    },
  };
}

/** Binds the client metrics to one method. */
export function clientMethodMetrics(metrics: RpcMetrics, service: string, method: string): MethodMetrics {
  const { requests, duration, retries } = metrics.client;
  // Bound on the first retry: a method that is never retried exports no retry series.
  let retriesChild: Counter.Internal | undefined;
  return {
    started: () => {},
    finished: methodRecorder(requests, duration, service, method),
    retried: () => (retriesChild ??= retries.labels(service, method)).inc(),
  };
}

/** Records outcome and latency of one method's requests, with series bound on first use. */
function methodRecorder(
  requests: Counter<CodeLabels>,
  duration: Histogram<MethodLabels>,
  service: string,
  method: string,
): (startedAt: bigint, code: string) => void {
  const durationChild = duration.labels(service, method);
  // One child per code, created on first use: the set of codes is closed, but a series that
  // never happened should not be exported as a zero for every method.
  const requestsByCode = new Map<string, Counter.Internal>();
  return (startedAt, code) => {
    let child = requestsByCode.get(code);
    if (child === undefined) {
      child = requests.labels(service, method, code);
      requestsByCode.set(code, child);
    }
    child.inc();
    durationChild.observe(Number(process.hrtime.bigint() - startedAt) / 1e9);
  };
}

/** Counters of a streaming method's messages, bound to its labels once. Internal: hosts build one per streaming endpoint. */
export interface StreamMessageMetrics {
  readonly in: Counter.Internal;
  readonly out: Counter.Internal;
}

/** Binds the stream message counters to one method. */
export function streamMessageMetrics(metrics: RpcMetrics, service: string, method: string): StreamMessageMetrics {
  const { streamMessages } = metrics.server;
  return { in: streamMessages.labels(service, method, "in"), out: streamMessages.labels(service, method, "out") };
}
