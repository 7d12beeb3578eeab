import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { tryRespond } from "./try-respond.js";

const verbs = ["PING", "INFO", "STATS"] as const;

/**
 * Subscribes an instance to the ADR-32 discovery subjects: `$SRV.<VERB>`, `$SRV.<VERB>.<name>` and
 * `$SRV.<VERB>.<name>.<id>` for PING, INFO and STATS, answering each with `respond(verb)` as JSON.
 * No queue group: every instance answers.
 */
export function subscribeDiscovery(nc: NatsConnection, name: string, id: string, respond: (verb: (typeof verbs)[number]) => unknown): Subscription[] {
  const encoder = new TextEncoder();
  return verbs.flatMap((verb) =>
    [`$SRV.${verb}`, `$SRV.${verb}.${name}`, `$SRV.${verb}.${name}.${id}`].map((subject) =>
      nc.subscribe(subject, {
        callback: (error, msg) => {
          if (error === null) {
            tryRespond(msg, encoder.encode(JSON.stringify(respond(verb))));
          }
        },
      }),
    ),
  );
}
