import type { GatewayOptions } from "nats-micro-runtime/gateway";
import { createValidationInterceptor } from "nats-micro-runtime/validation";

/**
 * The movies gateway as its clients know it: replies with the proto's field names
 * (`source_url`, `next_page_token`) and every field, a zero included (`"error": ""`), so that a
 * movie always has the same shape; requests validated by movies.proto's rules before they leave
 * the gateway, so a bad one costs no trip to the engine (which checks them again).
 */
export function moviesGatewayOptions(openApi?: unknown): GatewayOptions {
  return {
    json: { useProtoFieldName: true, alwaysEmitImplicit: true },
    interceptors: [createValidationInterceptor()],
    ...(openApi === undefined ? {} : { openApi }),
  };
}
