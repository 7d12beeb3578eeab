import type { CalcHandlers } from "./gen/calc/v1/calc_nats.js";

/** The calculator: what a user writes by hand. Everything else is generated. */
export const calcHandlers: CalcHandlers = {
  // An empty list never gets here: serveCalc validates AverageRequest's rule (calc.proto) first.
  async average(request) {
    return { operation: "average", result: sum(request.values) / request.values.length };
  },

  async sum(request) {
    return { operation: "sum", result: sum(request.values) };
  },
};

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
