import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** One run of ApacheBench (`ab`). */
export interface AbRun {
  requests: number;
  connections: number;
  requestsPerSecond: number;
  /** Latency percentiles from ab's CSV (`-e`), in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  elapsedMs: number;
}

/** What {@link runAb} sends where. */
export interface AbRequest {
  url: string;
  connections: number;
  requests: number;
  /** The file with the request body (the seed's `post_data.json`). */
  bodyFile: string;
  /** A directory for ab's CSV of percentiles. */
  directory: string;
}

/** The arguments of the seed's command, `ab -c C -n N -k -p post_data.json -T application/json URL`. */
export function abArguments(request: Pick<AbRequest, "url" | "connections" | "requests" | "bodyFile">): string[] {
  return ["-c", String(request.connections), "-n", String(request.requests), "-k", "-p", request.bodyFile, "-T", "application/json", request.url];
}

// ab gives up on a response after 30 s by itself (-s); this bounds the whole run.
const runTimeoutMs = 180_000;

/**
 * Runs the seed's command, plus `-q` (no progress lines) and `-e FILE` (percentiles with
 * fractions of a millisecond, where ab's own table has whole ones), and reads its figures.
 * Rejects when ab fails, when any request failed or was answered with a status other than 2xx,
 * or after a few minutes.
 */
export async function runAb(request: AbRequest): Promise<AbRun> {
  const csvFile = join(request.directory, `ab-${request.connections}.csv`);
  const args = ["-q", "-e", csvFile, ...abArguments(request)];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn("ab", args, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), runTimeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ab (scripts/install-system-deps.sh installs apache2-utils): ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve(text);
      } else {
        reject(new Error(`ab ${args.join(" ")} ended with ${signal ?? `code ${code}`}:\n${text.slice(-2_000)}`));
      }
    });
  });
  const figure = (pattern: RegExp) => {
    const match = pattern.exec(output);
    if (match === null) {
      throw new Error(`ab printed no ${pattern.source}:\n${output}`);
    }
    return Number(match[1]);
  };
  const complete = figure(/Complete requests:\s+(\d+)/);
  const failed = figure(/Failed requests:\s+(\d+)/);
  const non2xx = /Non-2xx responses:\s+(\d+)/.exec(output);
  if (complete !== request.requests || failed !== 0 || non2xx !== null) {
    throw new Error(`ab against ${request.url} at -c ${request.connections}: not every request succeeded:\n${output}`);
  }
  const percentiles = parsePercentiles(await readFile(csvFile, "utf8"));
  return {
    requests: complete,
    connections: request.connections,
    requestsPerSecond: figure(/Requests per second:\s+([\d.]+)/),
    p50Ms: percentiles.get(50) ?? Number.NaN,
    p99Ms: percentiles.get(99) ?? Number.NaN,
    elapsedMs: figure(/Time taken for tests:\s+([\d.]+) seconds/) * 1_000,
  };
}

// "Percentage served,Time in ms" then "0,0.670", "1,0.674" ... "100,12.3".
function parsePercentiles(csv: string): Map<number, number> {
  const percentiles = new Map<number, number>();
  for (const line of csv.split("\n").slice(1)) {
    const [percent, milliseconds] = line.split(",");
    if (percent !== undefined && milliseconds !== undefined) {
      percentiles.set(Number(percent), Number(milliseconds));
    }
  }
  return percentiles;
}

/** ab's version line, such as "2.3 <$Revision: 1913912 $>". */
export async function abVersion(): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn("ab", ["-V"], { stdio: ["ignore", "pipe", "ignore"] });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.once("error", () => resolve("unknown"));
    child.once("exit", () => resolve(/Version (\S+)/.exec(text)?.[1] ?? "unknown"));
  });
}
