// The `jobs` commands of a generated program (docs/cli.md), as real processes: `calc serve --jobs`
// runs the jobs that `calc jobs ...` enqueues and follows, against a nats-server with JetStream.
import { Code, exitCodeFromCode } from "nats-micro-runtime";
import { calcProgram, runCli, startCli, type RunningCli } from "../helpers/cli-process.js";
import { startNatsProcess, type NatsProcess } from "../helpers/nats-cluster.js";

let server: NatsProcess;
let serving: RunningCli;

beforeAll(async () => {
  server = await startNatsProcess({ name: "jobs-cli", jetStream: true });
  serving = startCli(calcProgram, ["serve", "--jobs", "--server", server.url]);
  await serving.waitForLog((line) => line.msg === "serving", 15_000);
}, 30_000);

afterAll(async () => {
  await serving?.kill();
  await server?.stop();
});

// Several CLI runs per test: node starts slowly on a busy machine.
const cliTestTimeoutMs = 45_000;

/** Runs `calc jobs <args>` against the test's server. */
const jobs = (...args: string[]) => runCli(calcProgram, ["jobs", ...args, "--server", server.url]);

/** The JSON a command printed. */
const printed = <T = Record<string, unknown>>(result: { stdout: string }) => JSON.parse(result.stdout) as T;

describe("calc jobs", () => {
  test(
    "enqueue --wait prints the reply as call prints it",
    async () => {
      const result = await jobs("enqueue", "Average", '{"values": [1, 2]}', "--wait");
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(printed(result)).toEqual({ operation: "average", result: 1.5 });
    },
    cliTestTimeoutMs,
  );

  test(
    "enqueue prints the job's id; status, result --wait and ls follow the job",
    async () => {
      const enqueued = await jobs("enqueue", "Sum", '{"values": [1, 2]}', "--id", "sum-1", "--attempts", "3");
      expect(enqueued.exitCode).toBe(0);
      expect(enqueued.stdout).toBe("sum-1\n");

      const waited = await jobs("result", "sum-1", "--wait", "--timeout", "10000");
      expect(waited.exitCode).toBe(0);
      expect(printed(waited)).toEqual({ operation: "sum", result: 3 });

      const status = await jobs("status", "sum-1");
      expect(status.exitCode).toBe(0);
      expect(printed(status)).toMatchObject({ id: "sum-1", method: "Sum", state: "completed", attempt: 1, attempts: 3 });
      expect(Date.parse(printed(status)["finishedAt"] as string)).toBeGreaterThanOrEqual(Date.parse(printed(status)["enqueuedAt"] as string));

      // The request from standard input, and the job's reply again without --wait now that it is over.
      const fromInput = await runCli(calcProgram, ["jobs", "enqueue", "sum", "-", "--id", "sum-2", "--wait", "--server", server.url], { input: '{"values": [2, 3]}' });
      expect(printed(fromInput)).toEqual({ operation: "sum", result: 5 });
      expect(printed(await jobs("result", "sum-2"))).toEqual({ operation: "sum", result: 5 });

      const table = await jobs("ls", "--state", "completed");
      expect(table.exitCode).toBe(0);
      const lines = table.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^ID\s+METHOD\s+STATE\s+ATTEMPT\s+ENQUEUED\s+FINISHED\s+ERROR$/);
      expect(lines.find((line) => line.startsWith("sum-1 "))).toMatch(/^sum-1\s+Sum\s+completed\s+1\/3\s+\S+Z\s+\S+Z$/);
      const listed = printed<{ id: string; state: string; method: string }[]>(await jobs("ls", "--state", "completed", "--method", "sum", "--json"));
      expect(listed.map((job) => job.id)).toEqual(["sum-1", "sum-2"]);
    },
    cliTestTimeoutMs,
  );

  test(
    "a job its handler rejects with invalid_argument fails, is dead-lettered, exits with its code, and can be retried",
    async () => {
      const invalidArgument = exitCodeFromCode(Code.InvalidArgument);
      const enqueued = await jobs("enqueue", "Average", '{"values": []}', "--id", "empty-1", "--wait");
      expect(enqueued.exitCode).toBe(invalidArgument);
      expect(enqueued.stdout).toBe("");
      expect(enqueued.stderr).toBe("error: invalid_argument: invalid request: values: must contain at least 1 item(s)\n  values: must contain at least 1 item(s) [repeated.min_items]\n");

      expect(printed(await jobs("status", "empty-1"))).toMatchObject({
        state: "failed",
        attempt: 1,
        error: { code: "invalid_argument", message: "invalid request: values: must contain at least 1 item(s)" },
      });
      const result = await jobs("result", "empty-1");
      expect(result.exitCode).toBe(invalidArgument);
      expect(result.stderr).toMatch(/^error: invalid_argument: invalid request/);

      const dead = await jobs("dead", "ls");
      expect(dead.exitCode).toBe(0);
      expect(dead.stdout.split("\n")[0]).toMatch(/^ID\s+METHOD\s+TIME\s+ATTEMPTS\s+REASON\s+ERROR$/);
      expect(dead.stdout).toMatch(/\nempty-1\s+Average\s+\S+Z\s+1\s+its handler failed with invalid_argument, which is not retried\s+invalid_argument: invalid request/);
      expect(printed<unknown[]>(await jobs("dead", "ls", "--json", "--limit", "5"))).toEqual([
        expect.objectContaining({ id: "empty-1", method: "Average", attempts: 1, error: { code: "invalid_argument", message: expect.stringContaining("values") } }),
      ]);

      // Retried, it runs again (and fails again the same way); then once more, waiting for it.
      const retried = await jobs("dead", "retry", "empty-1");
      expect(retried.exitCode).toBe(0);
      expect(printed(retried)).toMatchObject({ id: "empty-1", method: "Average" });
      expect((await jobs("result", "empty-1", "--wait", "--timeout", "10000")).exitCode).toBe(invalidArgument);
      const waited = await jobs("dead", "retry", "empty-1", "--wait");
      expect(waited.exitCode).toBe(invalidArgument);
      expect(waited.stderr).toMatch(/^error: invalid_argument: /);
      expect(printed<unknown[]>(await jobs("dead", "ls", "--json")).map((letter) => (letter as { id: string }).id)).toEqual(["empty-1"]);
      // A job that is not dead cannot be retried.
      expect((await jobs("dead", "retry", "sum-1")).exitCode).toBe(exitCodeFromCode(Code.FailedPrecondition));
    },
    cliTestTimeoutMs,
  );

  test(
    "a delayed job has no result yet, and is cancelled",
    async () => {
      const enqueued = await jobs("enqueue", "Sum", '{"values": [4]}', "--id", "later-1", "--delay", "60000", "--json");
      expect(enqueued.exitCode).toBe(0);
      const status = printed(enqueued);
      expect(status).toMatchObject({ id: "later-1", method: "Sum", state: "queued", attempt: 0 });
      expect(Date.parse(status["notBefore"] as string)).toBeGreaterThan(Date.now() + 50_000);
      // An RFC 3339 time with an offset; the status shows it in UTC.
      expect(printed(await jobs("enqueue", "Sum", "--id", "later-2", "--not-before", "2099-01-01T02:00:00+02:00", "--json"))).toMatchObject({ notBefore: "2099-01-01T00:00:00.000Z" });

      const notReady = await jobs("result", "later-1");
      expect(notReady.exitCode).toBe(exitCodeFromCode(Code.FailedPrecondition));
      expect(notReady.stderr).toBe("error: failed_precondition: job later-1 is queued: it has no result yet (--wait waits for it)\n");
      const timedOut = await jobs("result", "later-1", "--timeout", "300");
      expect(timedOut.exitCode).toBe(exitCodeFromCode(Code.DeadlineExceeded));

      const cancelled = await jobs("cancel", "later-1");
      expect(cancelled.exitCode).toBe(0);
      expect(printed(cancelled)).toMatchObject({ id: "later-1", state: "cancelled" });
      expect((await jobs("cancel", "later-1")).exitCode).toBe(exitCodeFromCode(Code.FailedPrecondition));
      expect((await jobs("result", "later-1")).exitCode).toBe(exitCodeFromCode(Code.Canceled));
      expect(printed<{ id: string }[]>(await jobs("ls", "--state", "cancelled", "--json")).map((job) => job.id)).toEqual(["later-1"]);
    },
    cliTestTimeoutMs,
  );

  test(
    "failures exit with the documented codes: usage for a wrong command line, the RPC code for the rest",
    async () => {
      const [unknownMethod, badJson, badTime, unknownStatus, unknownResult, unknownCancel, unknownRetry, badId] = await Promise.all([
        jobs("enqueue", "Median", "{}"),
        jobs("enqueue", "Average", '{"values": [1,'),
        jobs("enqueue", "Sum", "--not-before", "tomorrow"),
        jobs("status", "no-such-job"),
        jobs("result", "no-such-job", "--wait"),
        jobs("cancel", "no-such-job"),
        jobs("dead", "retry", "no-such-job"),
        jobs("status", "not.an.id"),
      ]);
      expect(unknownMethod.exitCode).toBe(2);
      expect(unknownMethod.stderr).toMatch(/^error: calc.v1.Calc has no method Median \(its methods: Average, Sum\)/);
      expect(badJson.exitCode).toBe(exitCodeFromCode(Code.InvalidArgument));
      expect(badJson.stderr).toMatch(/^error: invalid_argument: request from the argument is not a valid calc.v1.AverageRequest in JSON/);
      expect(badTime.exitCode).toBe(2);
      for (const notFound of [unknownStatus, unknownResult, unknownCancel, unknownRetry]) {
        expect(notFound.exitCode).toBe(exitCodeFromCode(Code.NotFound));
        expect(notFound.stderr).toBe("error: not_found: no job no-such-job (or its record has expired)\n");
      }
      expect(badId.exitCode).toBe(exitCodeFromCode(Code.InvalidArgument));
    },
    cliTestTimeoutMs,
  );

  test(
    "purge needs --yes, then removes every job, dead letter and record",
    async () => {
      const refused = await jobs("purge");
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(/^error: jobs purge removes every queued job, dead letter and job record of Calc: add --yes to do it/);
      expect(printed<unknown[]>(await jobs("ls", "--json")).length).toBeGreaterThan(0);

      const purged = await jobs("purge", "--yes", "--json");
      expect(purged.exitCode).toBe(0);
      // later-1 (cancelled) and later-2 wait in the queue; empty-1 is the one dead letter.
      expect(printed(purged)).toMatchObject({ queued: 2, dead: 1 });
      expect(printed<unknown[]>(await jobs("ls", "--json"))).toEqual([]);
      expect(printed<unknown[]>(await jobs("dead", "ls", "--json"))).toEqual([]);
      expect((await jobs("purge", "--yes")).stdout).toBe("removed 0 queued jobs, 0 dead letters and 0 job records\n");
    },
    cliTestTimeoutMs,
  );
});
