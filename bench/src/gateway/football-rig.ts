import { startProgramProcess, waitUntilHttpReady, type ProgramProcess } from "../program-process.js";
import { footballProgram } from "./football-example.js";
import { freePort } from "./free-port.js";

/** A `football` command running for the benchmark: `serve` (the workers) or `gateway`. */
export type FootballCommand = ProgramProcess;

/** A gateway command that answers `/readyz`. */
export interface FootballGateway extends FootballCommand {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly workers: number;
}

/**
 * Starts `football serve --workers N` (N worker processes in the queue group, node:cluster), with
 * `serveArgs` after it (`--jobs` ...), and resolves once every worker has logged that it serves.
 */
export function startFootballWorkers(natsUrl: string, workers: number, serveArgs: readonly string[] = []): Promise<FootballCommand> {
  return startProgramProcess({
    program: footballProgram,
    args: ["-s", natsUrl, "serve", "--workers", String(workers), ...serveArgs],
    readyMessage: "serving",
    readyCount: workers,
    what: ["football serve --workers", workers, ...serveArgs].join(" "),
  });
}

/**
 * Starts `football gateway --listen 127.0.0.1:PORT --workers N --json-names proto` on a free port,
 * with `gatewayArgs` after it (`--jobs`) and `execArgv` as node flags (`--cpu-prof`: cluster
 * workers inherit them), and resolves once every process serves and `/readyz` answers 200 (an
 * instance of the service answers a ping).
 */
export async function startFootballGateway(natsUrl: string, workers: number, execArgv: readonly string[], gatewayArgs: readonly string[] = []): Promise<FootballGateway> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const what = ["football gateway --workers", workers, ...gatewayArgs].join(" ");
  const command = await startProgramProcess({
    program: footballProgram,
    args: ["-s", natsUrl, "gateway", "--listen", `127.0.0.1:${port}`, "--workers", String(workers), "--json-names", "proto", ...gatewayArgs],
    execArgv,
    readyMessage: "gateway serving",
    readyCount: workers,
    what,
  });
  try {
    await waitUntilHttpReady(`${origin}/readyz`, what);
  } catch (error) {
    await command.stop();
    throw error;
  }
  return { ...command, origin, workers };
}
