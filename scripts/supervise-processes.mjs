// Runs the processes of an example (`make football`, `make metropolis`) until Ctrl-C or SIGTERM,
// then stops them in order: the programs first, so that they drain while their servers are still
// up, then the servers. Any failure (a process that stops by itself, a start that times out, an
// error) stops everything and exits 1.
import { spawn } from "node:child_process";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Supervises the processes it starts; `run(main)` runs the script's own steps under it. */
export function superviseProcesses() {
  const programs = [];
  const servers = [];
  let stopping = false;

  // Each child in a process group of its own, so that Ctrl-C reaches the script alone, which
  // stops them in order.
  function start(group, name, command, args) {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
    child.log = "";
    child.stderr.on("data", (chunk) => (child.log = (child.log + chunk).slice(-4000)));
    child.on("error", (error) => fail(`${name} did not start: ${error.message}`));
    child.on("exit", (code, signal) => {
      if (!stopping) fail(`${name} stopped unexpectedly (${signal ?? `exit code ${code}`})\n${child.log}`);
    });
    group.push(child);
    return child;
  }

  const exited = (child) =>
    child.exitCode !== null || child.signalCode !== null || child.pid === undefined
      ? Promise.resolve()
      : new Promise((resolve) => child.once("exit", resolve));

  async function stopGroup(group) {
    for (const child of group) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    // Draining takes well under a second; the timer ends a stuck process.
    const killer = setTimeout(() => group.forEach((child) => child.kill("SIGKILL")), 5_000);
    await Promise.all(group.map(exited));
    clearTimeout(killer);
  }

  async function stop(code) {
    if (stopping) return;
    stopping = true;
    await stopGroup(programs);
    await stopGroup(servers);
    process.exit(code);
  }

  function fail(message) {
    if (stopping) return;
    console.error(message);
    void stop(1);
  }

  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  process.on("uncaughtException", (error) => fail(error.stack ?? String(error)));
  process.on("unhandledRejection", (error) => fail(error?.stack ?? String(error)));

  // Polls every `everyMs` until `check` gives a value; throws `message()` after `timeoutMs`.
  async function waitFor(check, { everyMs, timeoutMs, message }) {
    for (let waited = 0; ; waited += everyMs) {
      if (stopping) return undefined;
      const value = await check();
      if (value !== undefined && value !== false) return value;
      if (waited >= timeoutMs) throw new Error(message());
      await sleep(everyMs);
    }
  }

  return {
    /** Starts a server (stopped last). */
    startServer: (name, command, args) => start(servers, name, command, args),
    /** Starts a program (stopped first). */
    startProgram: (name, command, args) => start(programs, name, command, args),
    /** The first match of `pattern` in a child's standard error, within 10 s. */
    waitForLog: (child, name, pattern) =>
      waitFor(() => pattern.exec(child.log) ?? undefined, { everyMs: 50, timeoutMs: 10_000, message: () => `${name} was not ready within 10 s:\n${child.log}` }),
    /** Until `url` answers 2xx, within 15 s; `hint` says what may be wrong. */
    waitForHttp: (url, hint) =>
      waitFor(() => fetch(url, { signal: AbortSignal.timeout(2_000) }).then((response) => response.ok, () => false), {
        everyMs: 100,
        timeoutMs: 15_000,
        message: () => `${url} was not 200 within 15 s (${hint})`,
      }),
    /** Whether the script is stopping (a step after an await should then give up). */
    isStopping: () => stopping,
    /** Runs the script's steps; a failure stops everything. */
    run: (main) => main().catch((error) => fail(error instanceof Error ? error.message : String(error))),
  };
}
