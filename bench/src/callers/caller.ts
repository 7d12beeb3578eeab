/** Sends one request of a case and checks its reply; the load client times it. */
export interface Caller {
  call(): Promise<void>;
  close(): Promise<void>;
}

/** The timeout every NATS case gives a request, in milliseconds, so that all cases wait alike. */
export const requestTimeoutMs = 5_000;
