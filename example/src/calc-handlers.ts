import { Code, RpcError } from "nats-micro-runtime";
import type { CalcHandlers } from "./gen/calc/v1/calc_nats.js";

/** The calculator: what a user writes by hand. Everything else is generated. */
export const calcHandlers: CalcHandlers = {
  async average(request) {
    if (request.values.length === 0) {
      throw new RpcError("values must not be empty: the average of no values is undefined", Code.InvalidArgument);
    }
    return { operation: "average", result: sum(request.values) / request.values.length };
  },

  async sum(request) {
    return { operation: "sum", result: sum(request.values) };
  },
};

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
