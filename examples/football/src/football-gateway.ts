import { Code, type RpcError } from "nats-micro-runtime";
import type { GatewayOptions, RenderedError } from "nats-micro-runtime/gateway";
import { createValidationInterceptor, violationsOf } from "nats-micro-runtime/validation";

/**
 * The football gateway as its clients know it: replies with the proto's field names
 * (`{game_id, home_towin, away_towin, draw}`), and invalid input answered 400 with
 * `{game_id, error}`. Requests are validated by football.proto's rules before they leave the
 * gateway, so a bad one costs no trip to a worker (the workers check them again).
 */
export const footballGatewayOptions: GatewayOptions = {
  json: { useProtoFieldName: true },
  interceptors: [createValidationInterceptor()],
  renderError: renderFootballError,
};

/** `{game_id, error}` for a request the gateway or a worker found invalid; other errors keep the gateway's body. */
export function renderFootballError(error: RpcError, context: { readonly body: string }): RenderedError | undefined {
  if (error.code !== Code.InvalidArgument) {
    return undefined;
  }
  return { status: 400, body: JSON.stringify({ game_id: gameIdOf(context.body), error: describe(error) }) };
}

// The broken rules by field ("home_expected: must be greater than or equal to 0"), else the message.
function describe(error: RpcError): string {
  const violations = violationsOf(error);
  if (violations.length === 0) {
    return error.rawMessage;
  }
  return violations.map(({ field, message }) => (field === "" ? message : `${field}: ${message}`)).join("; ");
}

// The game_id of a body that may not even be JSON: "" when it has none.
function gameIdOf(body: string): string {
  try {
    const json: unknown = JSON.parse(body);
    if (typeof json === "object" && json !== null) {
      const { game_id: snake, gameId: camel } = json as Record<string, unknown>;
      const id = snake ?? camel;
      return typeof id === "string" ? id : "";
    }
  } catch {
    // Not JSON: no id to echo.
  }
  return "";
}
