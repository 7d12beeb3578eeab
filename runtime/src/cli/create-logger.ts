import { pino, type DestinationStream, type Logger } from "pino";

/** The levels a log can be set to, from the most to the least verbose; `silent` logs nothing. */
export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** One of {@link logLevels}. */
export type LogLevel = (typeof logLevels)[number];

/** The environment variable that sets the log level when no flag does. */
export const logLevelEnvironmentName = "LOG_LEVEL";

/**
 * Creates the JSON logger of a serving process: one JSON object per line on standard output (or
 * `destination`), with `time`, `level` (as a name, such as `"info"`), `service` and `msg`, the
 * format log collectors read as is.
 */
export function createLogger(options: { level: LogLevel; service: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
