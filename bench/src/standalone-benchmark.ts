import { writeFile } from "node:fs/promises";
import type { Stoppable } from "./gateway/gateway-benchmark.js";

/** A benchmark that runs as a program of its own (`npm run bench:movies`, `bench:football-forms`). */
export interface StandaloneBenchmark<Options, Result> {
  /** The line on standard error before it starts. */
  readonly title: string;
  readonly usage: string;
  /** The options from the command line, or "help"; `jsonFile` is where to write the figures too. */
  parse(args: readonly string[]): (Options & { jsonFile: string | undefined }) | "help";
  /** Runs it, telling `track` of each thing it starts and `log` of its progress. */
  run(options: Options, track: (started: Stoppable) => void, log: (line: string) => void): Promise<Result>;
  format(result: Result): string;
}

/**
 * Runs a standalone benchmark as the program: prints its report (and writes its JSON), and stops
 * whatever it started on an error, Ctrl-C or SIGTERM, so that no process or database is left.
 */
export async function runStandaloneBenchmark<Options, Result>(benchmark: StandaloneBenchmark<Options, Result>): Promise<void> {
  const running: Stoppable[] = [];
  const stopAll = async () => {
    while (running.length > 0) {
      await running.pop()!.stop().catch(() => undefined);
    }
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void stopAll().finally(() => process.exit(130)));
  }
  try {
    const options = benchmark.parse(process.argv.slice(2));
    if (options === "help") {
      process.stdout.write(benchmark.usage);
      return;
    }
    const { jsonFile, ...benchmarkOptions } = options;
    process.stderr.write(`  ${benchmark.title}\n`);
    const result = await benchmark.run(
      benchmarkOptions as Options,
      (started) => running.push(started),
      (line) => process.stderr.write(`${line}\n`),
    );
    process.stdout.write(`${benchmark.format(result)}\n`);
    if (jsonFile !== undefined) {
      await writeFile(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
    }
  } catch (error) {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await stopAll();
    process.exitCode = 1;
  }
}
