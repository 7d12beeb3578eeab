/** Anything the WHATWG `Headers` constructor takes: a `Headers`, a record or a list of pairs. */
export type HeadersInit = ConstructorParameters<typeof Headers>[0];
