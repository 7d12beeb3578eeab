import { readFile } from "node:fs/promises";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { Msg } from "@nats-io/nats-core";

/** The three `$SRV` discovery verbs of ADR-32. */
export type Verb = "PING" | "INFO" | "STATS";

/** A validator per verb, from the official micro v1 JSON schemas. */
export type Adr32Validators = Record<Verb, ValidateFunction>;

const schemaFiles = [
  ["PING", "ping_response.json"],
  ["INFO", "info_response.json"],
  ["STATS", "stats_response.json"],
] as const;

/**
 * Compiles the micro v1 schemas of nats-io/jsm.go, copied to `test/data/adr32-schemas` with their
 * provenance (SOURCE.txt), in strict mode and with every error reported.
 */
export async function loadAdr32Validators(): Promise<Adr32Validators> {
  const ajv = new Ajv({ allErrors: true, strict: true });
  // ajv-formats is CommonJS: imported from ESM, its default export is the module object, whose
  // `default` is the plugin (ajv itself exports its class by name, which needs no such step).
  addFormats.default(ajv);
  const validators: Partial<Adr32Validators> = {};
  for (const [verb, file] of schemaFiles) {
    const schema: unknown = JSON.parse(await readFile(new URL(`../data/adr32-schemas/${file}`, import.meta.url), "utf8"));
    validators[verb] = ajv.compile(schema as object);
  }
  return validators as Adr32Validators;
}

/** Parses a discovery reply and throws, with the schema's complaints, unless it is valid. */
export function validDiscoveryReply(validators: Adr32Validators, verb: Verb, msg: Msg): unknown {
  const body: unknown = JSON.parse(new TextDecoder().decode(msg.data));
  const validate = validators[verb];
  if (!validate(body)) {
    throw new Error(`$SRV.${verb} reply does not match the micro v1 schema: ${JSON.stringify(validate.errors)}\n${JSON.stringify(body)}`);
  }
  return body;
}
