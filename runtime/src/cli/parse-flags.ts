import { InvalidArgumentError } from "commander";

/** Parses a flag's value as a whole number; commander reports a bad one as a usage error. */
export function parseInteger(value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(number)) {
    throw new InvalidArgumentError(`"${value}" is not a whole number`);
  }
  return number;
}

/** Parses a flag's value as a whole number of at least `minimum`. */
export function integerAtLeast(minimum: number): (value: string) => number {
  return (value) => {
    const number = parseInteger(value);
    if (number < minimum) {
      throw new InvalidArgumentError(`must be at least ${minimum}, got ${number}`);
    }
    return number;
  };
}

/** Parses a flag's value as a TCP port, 0 to 65535: anything else is a usage error before anything is opened. */
export function tcpPort(value: string): number {
  const port = integerAtLeast(0)(value);
  if (port > 65_535) {
    throw new InvalidArgumentError(`must be a TCP port, 0 to 65535, got ${port}`);
  }
  return port;
}

// "Average, Sum" → ["Average", "Sum"]; an empty list is a mistake worth naming.
export function commaList(value: string): string[] {
  const names = value.split(",").map((name) => name.trim()).filter((name) => name !== "");
  if (names.length === 0) {
    throw new InvalidArgumentError("name at least one method");
  }
  return names;
}
