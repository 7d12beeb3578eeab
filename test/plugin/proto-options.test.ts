// The proto options of nats/micro/v1/options.proto, through real buf: a service or method whose
// options break a rule fails the generation with one line per problem, naming the file, the
// service or method, and what is wrong; valid options shape the generated documentation.
import { runPlugin, type PluginRun, type ProtoFiles, type RunPluginOptions } from "../helpers/run-plugin.js";

// A proto file of a package whose services all take and return Entry.
function protoFile(packageName: string, ...services: string[]): string {
  return `syntax = "proto3";

package ${packageName};

import "nats/micro/v1/options.proto";

${services.join("\n\n")}

message Entry {
  string account = 1;
}
`;
}

// A service with the given fields of (nats.micro.v1.service), and methods with the given fields
// of (nats.micro.v1.method); "" sets no option. `comment` is the service's leading comment.
function service(name: string, options: string, methods: Readonly<Record<string, string>>, comment = ""): string {
  const lines = comment === "" ? [] : [`// ${comment}`];
  lines.push(`service ${name} {`);
  if (options !== "") {
    lines.push(`  option (nats.micro.v1.service) = { ${options} };`);
  }
  for (const [method, methodOptions] of Object.entries(methods)) {
    lines.push(
      methodOptions === ""
        ? `  rpc ${method}(Entry) returns (Entry);`
        : `  rpc ${method}(Entry) returns (Entry) {\n    option (nats.micro.v1.method) = { ${methodOptions} };\n  }`,
    );
  }
  lines.push("}");
  return lines.join("\n");
}

const ledgerPath = "ledger/v1/ledger.proto";

// The one file ledger/v1/ledger.proto, of package ledger.v1.
function ledger(...services: string[]): ProtoFiles {
  return { [ledgerPath]: protoFile("ledger.v1", ...services) };
}

// Lines of the problems of a case, each prefixed with the file ledger/v1/ledger.proto.
function inLedger(...problems: string[]): string[] {
  return problems.map((problem) => `${ledgerPath}: ${problem}`);
}

// Two services named Ledger, of packages a.v1 and b.v1, in two directories.
const twoLedgers: ProtoFiles = {
  "a/v1/ledger.proto": protoFile("a.v1", service("Ledger", "", { Post: "" })),
  "b/v1/ledger.proto": protoFile("b.v1", service("Ledger", "", { Post: "" })),
};

interface Case {
  readonly protos: ProtoFiles;
  readonly runOptions?: RunPluginOptions;
}

const cases = {
  nameWithSpace: { protos: ledger(service("Ledger", 'name: "my ledger"', { Post: "" })) },
  nameWithDot: { protos: ledger(service("Ledger", 'name: "books.ledger"', { Post: "" })) },
  versionWithV: { protos: ledger(service("Ledger", 'version: "v1"', { Post: "" })) },
  versionTwoParts: { protos: ledger(service("Ledger", 'version: "1.2"', { Post: "" })) },
  subjectStar: { protos: ledger(service("Ledger", "", { Post: 'subject: "*"' })) },
  subjectGreaterThan: { protos: ledger(service("Ledger", "", { Post: 'subject: "books.>"' })) },
  subjectSpace: { protos: ledger(service("Ledger", "", { Post: 'subject: "a b"' })) },
  subjectEmptyToken: { protos: ledger(service("Ledger", "", { Post: 'subject: "a..b"' })) },
  subjectLeadingDot: { protos: ledger(service("Ledger", "", { Post: 'subject: ".post"' })) },
  subjectTrailingDot: { protos: ledger(service("Ledger", "", { Post: 'subject: "post."' })) },
  prefixStar: { protos: ledger(service("Ledger", 'subject_prefix: "books.*"', { Post: "", Balance: 'subject: "finance.balance"' })) },
  prefixSpace: { protos: ledger(service("Ledger", 'subject_prefix: "my books"', { Post: "" })) },
  prefixTrailingDot: { protos: ledger(service("Ledger", 'subject_prefix: "books."', { Post: "" })) },
  sameSubjectOption: { protos: ledger(service("Ledger", "", { Post: 'subject: "entry"', Credit: 'subject: "entry"' })) },
  sameSubjectAsDefault: { protos: ledger(service("Ledger", "", { Post: "", Balance: 'subject: "Post"' })) },
  sameNameOneFile: { protos: ledger(service("Ledger", 'name: "books"', { Post: "" }), service("Journal", 'name: "books"', { Write: "" })) },
  sameNameAsDefault: { protos: ledger(service("Ledger", "", { Post: "" }), service("Journal", 'name: "Ledger"', { Write: "" })) },
  sameNameTwoFiles: { protos: twoLedgers },
  sameNameTwoFilesOneDirectory: {
    protos: {
      // Entry comes from ledger.proto, of the same package.
      "ledger/v1/journal.proto": `syntax = "proto3";

package ledger.v1;

import "ledger/v1/ledger.proto";
import "nats/micro/v1/options.proto";

${service("Journal", 'name: "books"', { Write: "" })}
`,
      [ledgerPath]: protoFile("ledger.v1", service("Ledger", 'name: "books"', { Post: "" })),
    },
    runOptions: { bufStrategy: "directory" },
  },
  sameNameTwoDirectoriesOneRunEach: { protos: twoLedgers, runOptions: { bufStrategy: "directory" } },
  sameSubjectOneFile: {
    protos: ledger(service("Ledger", 'subject_prefix: "books"', { Post: "" }), service("Journal", 'subject_prefix: "books"', { Audit: "", Post: "" })),
  },
  sameSubjectTwoFiles: {
    protos: {
      "journal/v1/journal.proto": protoFile("journal.v1", service("Journal", "", { Write: 'subject: "books.post"' })),
      [ledgerPath]: protoFile("ledger.v1", service("Ledger", 'subject_prefix: "books"', { Post: 'subject: "post"' })),
    },
  },
  serviceTimeoutZero: { protos: ledger(service("Ledger", "timeout: {}", { Post: "" })) },
  serviceTimeoutNegative: { protos: ledger(service("Ledger", "timeout: { seconds: -2 }", { Post: "" })) },
  methodTimeoutZero: { protos: ledger(service("Ledger", "", { Post: "timeout: { seconds: 0 nanos: 0 }" })) },
  methodTimeoutNegative: { protos: ledger(service("Ledger", "", { Post: "timeout: { nanos: -1000000 }" })) },
  methodTimeoutTooLong: { protos: ledger(service("Ledger", "", { Post: "timeout: { seconds: 2147484 }" })) },
  serviceJobAttempts: { protos: ledger(service("Ledger", "job: { attempts: 101 }", { Post: "", Credit: "" })) },
  methodJobCodes: { protos: ledger(service("Ledger", "", { Post: 'job: { non_retryable_codes: ["INVALID_ARGUMENT", "not_found"] }' })) },
  methodJobBackoff: { protos: ledger(service("Ledger", "", { Post: "job: { backoff_initial: { seconds: 10 } backoff_max: { seconds: 1 } }" })) },
  methodJobMultiplier: { protos: ledger(service("Ledger", "", { Post: "job: { backoff_multiplier: 20 }" })) },
  methodJobAttemptTimeout: { protos: ledger(service("Ledger", "", { Post: "job: { attempt_timeout: {} }" })) },
  serviceQueueGroupAndNone: { protos: ledger(service("Ledger", 'queue_group: "workers" no_queue_group: true', { Post: "" })) },
  methodQueueGroupAndNone: { protos: ledger(service("Ledger", "", { Post: 'queue_group: "workers" no_queue_group: true' })) },
  serviceQueueGroupWithDot: { protos: ledger(service("Ledger", 'queue_group: "ledger.workers"', { Post: "" })) },
  methodQueueGroupWithSpace: { protos: ledger(service("Ledger", "", { Post: 'queue_group: "ledger workers"' })) },
  methodQueueGroupWildcard: { protos: ledger(service("Ledger", "", { Post: 'queue_group: "*"' })) },
  several: {
    protos: {
      "a/v1/ledger.proto": protoFile(
        "a.v1",
        service("Ledger", 'name: "my ledger" version: "v1" subject_prefix: "books.*"', {
          Post: 'subject: "a..b" queue_group: "g" no_queue_group: true',
          Balance: "timeout: {}",
        }),
      ),
      "b/v1/journal.proto": protoFile("b.v1", service("Journal", 'queue_group: "a.b"', { Write: 'subject: "*"' }), service("Cache", "", { Drop: "" })),
      "c/v1/cache.proto": protoFile("c.v1", service("Cache", "", { Drop: "" })),
    },
  },
  valid: {
    protos: ledger(
      service(
        "Ledger",
        'name: "ledger" version: "1.2.0" subject_prefix: "books" queue_group: "ledger-workers" timeout: { seconds: 2 }',
        { Post: 'subject: "post" timeout: { nanos: 500000000 }', Balance: 'subject: "finance.balance" queue_group: "readers"', Audit: "no_queue_group: true", Wait: "" },
        "Ledger keeps the books.",
      ),
      service("Cache", 'name: "cache" description: "Drops keys on every instance." no_queue_group: true', { Invalidate: "" }, "Cache is a cache."),
      service("Quiet", 'description: "Answers quietly."', { Hush: "" }),
    ),
    runOptions: { options: ["target=ts", "import_extension=js", "default_version=1.4.0"] },
  },
} satisfies Record<string, Case>;

type CaseName = keyof typeof cases;

const runs: Partial<Record<CaseName, PluginRun>> = {};

// A few buf runs at a time: other test files run buf too.
const concurrency = 4;

beforeAll(async () => {
  const queue = Object.entries(cases) as [CaseName, Case][];
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const [name, { protos, runOptions }] = next;
      runs[name] = await runPlugin(protos, runOptions);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}, 90_000);

function runOf(name: CaseName): PluginRun {
  const run = runs[name];
  if (run === undefined) {
    throw new Error(`no run of the case ${name}`);
  }
  return run;
}

const header = "protoc-gen-nats: invalid nats.micro.v1 options:";

// The problem lines of a failed run: those after the plugin's header, up to the compiler's own.
function problemsOf(run: PluginRun): string[] {
  if (run.error === undefined) {
    throw new Error(`generation succeeded, with: ${Object.keys(run.files).join(", ")}`);
  }
  const lines = run.error.split("\n");
  const start = lines.indexOf(header);
  if (start === -1) {
    throw new Error(`no line "${header}" in:\n${run.error}`);
  }
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => !/^[\w/.-]+\.proto: /.test(line));
  return end === -1 ? rest : rest.slice(0, end);
}

// The problem lines of a case, which must have failed without writing any file.
function problems(name: CaseName): string[] {
  const run = runOf(name);
  const lines = problemsOf(run);
  expect(run.files).toEqual({});
  return lines;
}

describe("service name", () => {
  test.each([
    ["nameWithSpace", "my ledger"],
    ["nameWithDot", "books.ledger"],
  ] as const)("%s: a name other than [A-Za-z0-9_-]+ is named", (name, value) => {
    expect(problems(name)).toEqual(inLedger(`service ledger.v1.Ledger: name "${value}" must match [A-Za-z0-9_-]+`));
  });
});

describe("service version", () => {
  test.each([
    ["versionWithV", "v1"],
    ["versionTwoParts", "1.2"],
  ] as const)("%s: a version that is not semver is named", (name, value) => {
    expect(problems(name)).toEqual(inLedger(`service ledger.v1.Ledger: version "${value}" is not a semantic version such as 1.0.0`));
  });
});

describe("method subject", () => {
  test.each([
    ["the token *, under the prefix", "subjectStar", 'subject "ledger.v1.Ledger.*" must not contain wildcards'],
    ["a full subject ending in >", "subjectGreaterThan", 'subject "books.>" must not contain wildcards'],
    ["a space", "subjectSpace", 'subject "ledger.v1.Ledger.a b" must not contain white space'],
    ["two dots in a row", "subjectEmptyToken", 'subject "a..b" has an empty token'],
    ["a leading dot", "subjectLeadingDot", 'subject ".post" has an empty token'],
    ["a trailing dot", "subjectTrailingDot", 'subject "post." has an empty token'],
  ] as const)("a subject option with %s is named (%s)", (_what, name, problem) => {
    expect(problems(name)).toEqual(inLedger(`method ledger.v1.Ledger.Post: ${problem}`));
  });
});

describe("subject_prefix", () => {
  test("a wildcard is named, with each method subject it makes; a method with a full subject of its own is not", () => {
    expect(problems("prefixStar")).toEqual(
      inLedger(
        'service ledger.v1.Ledger: subject_prefix: subject "books.*" must not contain wildcards',
        'method ledger.v1.Ledger.Post: subject "books.*.Post" must not contain wildcards',
      ),
    );
  });

  test("a space is named", () => {
    expect(problems("prefixSpace")).toEqual(
      inLedger(
        'service ledger.v1.Ledger: subject_prefix: subject "my books" must not contain white space',
        'method ledger.v1.Ledger.Post: subject "my books.Post" must not contain white space',
      ),
    );
  });

  test("a trailing dot is named as an empty token", () => {
    expect(problems("prefixTrailingDot")).toEqual(
      inLedger(
        'service ledger.v1.Ledger: subject_prefix: subject "books." has an empty token',
        'method ledger.v1.Ledger.Post: subject "books..Post" has an empty token',
      ),
    );
  });
});

describe("subjects within a service", () => {
  test("two methods with the same subject option: the second is named, with the first", () => {
    expect(problems("sameSubjectOption")).toEqual(inLedger('method ledger.v1.Ledger.Credit: subject "ledger.v1.Ledger.entry" is the subject of method Post too'));
  });

  test("a method whose subject option is another method's default subject", () => {
    expect(problems("sameSubjectAsDefault")).toEqual(inLedger('method ledger.v1.Ledger.Balance: subject "ledger.v1.Ledger.Post" is the subject of method Post too'));
  });
});

describe("services generated together", () => {
  test("two services of one file with the same name option", () => {
    expect(problems("sameNameOneFile")).toEqual(inLedger('service ledger.v1.Journal: name "books" is the name of service ledger.v1.Ledger too'));
  });

  test("a name option equal to another service's default name", () => {
    expect(problems("sameNameAsDefault")).toEqual(inLedger('service ledger.v1.Journal: name "Ledger" is the name of service ledger.v1.Ledger too'));
  });

  test("two services of two files (two packages) with the same proto name: the line names the second's file", () => {
    expect(problems("sameNameTwoFiles")).toEqual(['b/v1/ledger.proto: service b.v1.Ledger: name "Ledger" is the name of service a.v1.Ledger too']);
  });

  // journal.proto imports ledger.proto, which comes first: the line names journal.proto.
  test("two services of two files of one directory with the same name option, with buf's default strategy too", () => {
    expect(problems("sameNameTwoFilesOneDirectory")).toEqual(['ledger/v1/journal.proto: service ledger.v1.Journal: name "books" is the name of service ledger.v1.Ledger too']);
  });

  // Why the project's buf.gen.yaml files set `strategy: all` for protoc-gen-nats.
  test("buf's default strategy runs the plugin once per directory, which cannot see the services of another", () => {
    const run = runOf("sameNameTwoDirectoriesOneRunEach");
    expect(run.error).toBeUndefined();
    expect(Object.keys(run.files)).toEqual(["a/v1/ledger_nats.ts", "b/v1/ledger_nats.ts"]);
  });

  test("two services of one file with overlapping subjects: the method on a taken subject is named", () => {
    expect(problems("sameSubjectOneFile")).toEqual(inLedger('method ledger.v1.Journal.Post: subject "books.Post" is the subject of method ledger.v1.Ledger.Post too'));
  });

  test("two services of two files with overlapping subjects: the line names the file of the method named", () => {
    expect(problems("sameSubjectTwoFiles")).toEqual(inLedger('method ledger.v1.Ledger.Post: subject "books.post" is the subject of method journal.v1.Journal.Write too'));
  });
});

describe("timeouts", () => {
  test.each([
    ["serviceTimeoutZero", "service ledger.v1.Ledger: timeout must be positive, got 0s 0ns"],
    ["serviceTimeoutNegative", "service ledger.v1.Ledger: timeout must be positive, got -2s 0ns"],
    ["methodTimeoutZero", "method ledger.v1.Ledger.Post: timeout must be positive, got 0s 0ns"],
    ["methodTimeoutNegative", "method ledger.v1.Ledger.Post: timeout must be positive, got 0s -1000000ns"],
    ["methodTimeoutTooLong", "method ledger.v1.Ledger.Post: timeout must be at most 2147483647 ms, got 2147484000 ms"],
  ] as const)("%s is named", (name, problem) => {
    expect(problems(name)).toEqual(inLedger(problem));
  });
});

describe("job policies", () => {
  test.each([
    // Reported once, on the service, not on each of its two methods.
    ["serviceJobAttempts", "service ledger.v1.Ledger: job.attempts must be 1 to 100, got 101"],
    ["methodJobCodes", 'method ledger.v1.Ledger.Post: job.non_retryable_codes: unknown code "INVALID_ARGUMENT" (codes are snake_case, such as "invalid_argument")'],
    ["methodJobBackoff", "method ledger.v1.Ledger.Post: job.backoff_max (1000 ms) must not be shorter than job.backoff_initial (10000 ms)"],
    ["methodJobMultiplier", "method ledger.v1.Ledger.Post: job.backoff_multiplier must be 1 to 10, got 20"],
    ["methodJobAttemptTimeout", "method ledger.v1.Ledger.Post: job.attempt_timeout must be positive and at most 2147483647 ms, got 0s 0ns"],
  ] as const)("%s is named", (name, problem) => {
    expect(problems(name)).toEqual(inLedger(problem));
  });
});

describe("queue groups", () => {
  test.each([
    ["serviceQueueGroupAndNone", 'service ledger.v1.Ledger: queue_group "workers" and no_queue_group contradict each other'],
    ["methodQueueGroupAndNone", 'method ledger.v1.Ledger.Post: queue_group "workers" and no_queue_group contradict each other'],
    ["serviceQueueGroupWithDot", 'service ledger.v1.Ledger: queue group "ledger.workers" must be one token without wildcards or white space'],
    ["methodQueueGroupWithSpace", 'method ledger.v1.Ledger.Post: queue group "ledger workers" must be one token without wildcards or white space'],
    ["methodQueueGroupWildcard", 'method ledger.v1.Ledger.Post: queue group "*" must be one token without wildcards or white space'],
  ] as const)("%s is named", (name, problem) => {
    expect(problems(name)).toEqual(inLedger(problem));
  });
});

test("several problems, in several services and files, are all listed, file by file, then those between services", () => {
  expect(problems("several")).toEqual([
    'a/v1/ledger.proto: service a.v1.Ledger: name "my ledger" must match [A-Za-z0-9_-]+',
    'a/v1/ledger.proto: service a.v1.Ledger: version "v1" is not a semantic version such as 1.0.0',
    'a/v1/ledger.proto: service a.v1.Ledger: subject_prefix: subject "books.*" must not contain wildcards',
    'a/v1/ledger.proto: method a.v1.Ledger.Post: subject "a..b" has an empty token',
    'a/v1/ledger.proto: method a.v1.Ledger.Post: queue_group "g" and no_queue_group contradict each other',
    'a/v1/ledger.proto: method a.v1.Ledger.Balance: subject "books.*.Balance" must not contain wildcards',
    "a/v1/ledger.proto: method a.v1.Ledger.Balance: timeout must be positive, got 0s 0ns",
    'b/v1/journal.proto: service b.v1.Journal: queue group "a.b" must be one token without wildcards or white space',
    'b/v1/journal.proto: method b.v1.Journal.Write: subject "b.v1.Journal.*" must not contain wildcards',
    'c/v1/cache.proto: service c.v1.Cache: name "Cache" is the name of service b.v1.Cache too',
  ]);
});

test("the same problems are listed when protoc runs the plugin", async () => {
  const run = await runPlugin(cases.several.protos, { compiler: "protoc" });
  expect(problemsOf(run)).toEqual(problems("several"));
  expect(run.files).toEqual({});
}, 30_000);

describe("valid options", () => {
  function generated(): string {
    const run = runOf("valid");
    if (run.error !== undefined) {
      throw new Error(`generation failed:\n${run.error}`);
    }
    expect(Object.keys(run.files)).toEqual(["ledger/v1/ledger_nats.ts"]);
    return run.files["ledger/v1/ledger_nats.ts"] ?? "";
  }

  test("the serve function's doc names the ADR-32 name, and every endpoint's subject and queue group", () => {
    expect(generated()).toContain(
      "/**\n" +
        ' * Serves ledger.v1.Ledger on a NATS connection as the NATS micro service "ledger" (ADR-32), with\n' +
        " * $SRV discovery and stats, on these subjects:\n" +
        " *\n" +
        " * - Post: `books.post` (queue group `ledger-workers`)\n" +
        " * - Balance: `finance.balance` (queue group `readers`)\n" +
        " * - Audit: `books.Audit` (no queue group: every instance)\n" +
        " * - Wait: `books.Wait` (queue group `ledger-workers`)\n" +
        " *\n" +
        " * Resolves once the server has every subscription; stop it with `host.stop()`, which drains\n" +
        " * in-flight requests.\n" +
        " */\n" +
        "export function serveLedger(",
    );
  });

  test("a service without a queue group is documented so, for every endpoint", () => {
    expect(generated()).toContain(
      ' * Serves ledger.v1.Cache on a NATS connection as the NATS micro service "cache" (ADR-32), with\n' +
        " * $SRV discovery and stats, on these subjects:\n" +
        " *\n" +
        " * - Invalidate: `ledger.v1.Cache.Invalidate` (no queue group: every instance)\n" +
        " *\n",
    );
  });

  // The options themselves reach the runtime through the descriptor, which protoc-gen-es embeds:
  // the generated code passes only what the descriptor lacks (the comment, default_version), and
  // the runtime prefers the proto options to these defaults.
  test("the serve functions pass the comment and default_version as defaults, never the options' values", () => {
    const code = generated();
    expect(code).toContain('  return createHost(nc, Ledger, handlers as LedgerHandlers, { defaults: { description: "Ledger keeps the books.", version: "1.4.0" }, ...options });\n');
    expect(code).toContain('  return createHost(nc, Cache, handlers as CacheHandlers, { defaults: { description: "Cache is a cache.", version: "1.4.0" }, ...options });\n');
    expect(code).toContain('  return createHost(nc, Quiet, handlers as QuietHandlers, { defaults: { version: "1.4.0" }, ...options });\n');
    expect(code).not.toContain("Drops keys on every instance.");
    expect(code).not.toContain("Answers quietly.");
    expect(code).not.toContain("1.2.0");
  });

  test("the handlers interface and the client keep the proto comment, whatever the description option says", () => {
    const code = generated();
    expect(code).toContain(" * Cache is a cache.\n *\n * @generated from service ledger.v1.Cache\n */\nexport interface CacheHandlers {");
    expect(code).toContain(" * Cache is a cache.\n *\n * @generated from service ledger.v1.Cache\n */\nexport class CacheClient {");
  });

  test("valid options generate without warnings", () => {
    expect(runOf("valid").stderr).toBe("");
  });
});
