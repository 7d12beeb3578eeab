/**
 * A key for a value that travels with one call: set by an interceptor (the authenticated user, a
 * tenant), read by the handler from `context.values`; or set per call on the client. Made once,
 * at module level; each key is its own, whatever its description.
 *
 * @example
 * export const userKey = createContextKey<User | undefined>(undefined, { description: "user" });
 * // in a host interceptor:   request.contextValues.set(userKey, await authenticate(request.header));
 * // in the handler:          const user = context.values.get(userKey);
 */
export interface ContextKey<T> {
  readonly id: symbol;
  /** What `get` answers while the value is not set. */
  readonly defaultValue: T;
  readonly description: string;
}

/** Creates a {@link ContextKey} with the value that `get` answers until one is set. */
export function createContextKey<T>(defaultValue: T, options: { description?: string } = {}): ContextKey<T> {
  const description = options.description ?? "context value";
  return { id: Symbol(description), defaultValue, description };
}

/** The values of one call, by {@link ContextKey}. */
export interface ContextValues {
  /** The value set for the key, else the key's default. */
  get<T>(key: ContextKey<T>): T;
  set<T>(key: ContextKey<T>, value: T): this;
  delete(key: ContextKey<unknown>): this;
}

/** A fresh, empty set of context values. */
export function createContextValues(): ContextValues {
  const values = new Map<symbol, unknown>();
  return {
    get<T>(key: ContextKey<T>): T {
      return values.has(key.id) ? (values.get(key.id) as T) : key.defaultValue;
    },
    set<T>(key: ContextKey<T>, value: T) {
      values.set(key.id, value);
      return this;
    },
    delete(key: ContextKey<unknown>) {
      values.delete(key.id);
      return this;
    },
  };
}
