import { describe, expect, test } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { rootDirectory } from "../helpers/paths.js";

// The runtime's layout rules (docs/architecture.md), read from its sources.
const sourceRoot = join(rootDirectory, "runtime", "src");

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith(".ts") ? [path] : [];
  });
}

// Every module specifier a file imports or re-exports, types included.
function specifiers(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)].map((match) => match[1]!);
}

const files = sourceFiles(sourceRoot);
const localImports = new Map(
  files.map((file) => [
    file,
    specifiers(file)
      .filter((specifier) => specifier.startsWith("."))
      .map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, ".ts"))),
  ]),
);
const name = (file: string) => relative(sourceRoot, file);

describe("runtime layout", () => {
  test("only transport/nats/ imports the NATS client", () => {
    const offenders = files.filter((file) => !name(file).startsWith("transport/nats/") && specifiers(file).some((specifier) => /^(@nats-io\/|nats$)/.test(specifier)));
    expect(offenders.map(name)).toEqual([]);
    // And transport/nats/ does use it: the rule above is not vacuous.
    expect(files.filter((file) => name(file).startsWith("transport/nats/") && specifiers(file).some((specifier) => specifier.startsWith("@nats-io/"))).length).toBeGreaterThan(2);
  });

  test("only validation/ imports protovalidate (an optional peer dependency)", () => {
    const importers = files.filter((file) => specifiers(file).some((specifier) => specifier.startsWith("@bufbuild/protovalidate")));
    expect(importers.map(name)).toEqual(["validation/index.ts"]);
    // And nothing but an entry point of its own leads there.
    const leadingThere = [...localImports].filter(([file, imports]) => !name(file).startsWith("validation/") && imports.some((target) => name(target).startsWith("validation/")));
    expect(leadingThere.map(([file]) => name(file))).toEqual([]);
  });

  test("only jobs/ and pipeline/ lead to JetStream (optional peer dependencies): the CLI loads them with import() when asked", () => {
    // The JetStream client, and the pieces the job worker and the pipeline stops share on it.
    const jetStreamModules = (file: string) => /^transport\/nats\/jetstream-/.test(file);
    const jetStreamUsers = (file: string) => file.startsWith("jobs/") || file.startsWith("pipeline/") || jetStreamModules(file);
    const importers = [...localImports].filter(([, imports]) => imports.some((target) => name(target) === "transport/nats/jetstream-client.ts")).map(([file]) => name(file));
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((file) => !jetStreamUsers(file))).toEqual([]);
    const leadingThere = [...localImports].filter(
      ([file, imports]) => !jetStreamUsers(name(file)) && imports.some((target) => name(target).startsWith("jobs/") || name(target).startsWith("pipeline/") || jetStreamModules(name(target))),
    );
    expect(leadingThere.map(([file]) => name(file))).toEqual([]);
  });

  test("every relative import resolves to a source file", () => {
    const missing = [...localImports].flatMap(([file, imports]) => imports.filter((target) => !localImports.has(target)).map((target) => `${name(file)} -> ${name(target)}`));
    expect(missing).toEqual([]);
  });

  test("the import graph has no cycles", () => {
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") {
        return;
      }
      if (state.get(file) === "visiting") {
        cycles.push([...path.slice(path.indexOf(file)), file].map(name).join(" -> "));
        return;
      }
      state.set(file, "visiting");
      for (const target of localImports.get(file) ?? []) {
        visit(target, [...path, file]);
      }
      state.set(file, "done");
    };
    for (const file of files) {
      visit(file, []);
    }
    expect(cycles).toEqual([]);
  });

  test("the concerns depend one way: protocol on nothing of the runtime, service on protocol only", () => {
    const concernOf = (file: string) => name(file).split("/")[0]!;
    const allowed: Record<string, readonly string[]> = {
      protocol: ["protocol"],
      service: ["service", "protocol", "gen"],
      metrics: ["metrics"],
      "transport/nats": ["transport", "protocol"],
      // An entry point like the host: it calls services through the client, and never serves them.
      gateway: ["gateway", "protocol", "service", "client", "interceptors", "metrics", "transport", "gen"],
      // An entry point into the host (it hands jobs to the host's one call path), and a client transport.
      jobs: ["jobs", "protocol", "service", "host", "client", "interceptors", "transport"],
      // An entry point into the host, as jobs are (it hands each stop's message to the host's one call path).
      pipeline: ["pipeline", "protocol", "service", "host", "interceptors", "transport"],
    };
    const violations = [...localImports].flatMap(([file, imports]) => {
      const concern = name(file).startsWith("transport/nats/") ? "transport/nats" : concernOf(file);
      const may = allowed[concern];
      return may === undefined ? [] : imports.filter((target) => !may.includes(concernOf(target))).map((target) => `${name(file)} -> ${name(target)}`);
    });
    expect(violations).toEqual([]);
  });
});

describe("entry points", () => {
  // Loads an entry point of the built package in a fresh node and lists the packages it loaded.
  function packagesLoadedBy(specifier: string): string[] {
    const script = `
      import { createRequire } from "node:module";
      await import(${JSON.stringify(specifier)});
      const require = createRequire(import.meta.url);
      const loaded = new Set(Object.keys(require.cache).map((path) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(path)?.[1]).filter(Boolean));
      console.log(JSON.stringify([...loaded]));
    `;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: join(rootDirectory, "example"), encoding: "utf8", timeout: 20_000 });
    expect(result.stderr).toBe("");
    return JSON.parse(result.stdout) as string[];
  }

  test.each(["nats-micro-runtime", "nats-micro-runtime/codegenv1"])("%s loads neither the CLI nor prom-client nor the Node transport", (specifier) => {
    const loaded = packagesLoadedBy(specifier);
    // CommonJS packages show up in require.cache: nats-core is one, so the check sees what it should.
    expect(loaded).toContain("@nats-io/nats-core");
    for (const heavy of ["commander", "pino", "prom-client", "@nats-io/transport-node"]) {
      expect(loaded).not.toContain(heavy);
    }
    // Nor anything of OpenTelemetry: tracing is its own entry.
    expect(loaded.filter((name) => name.startsWith("@opentelemetry/"))).toEqual([]);
  });

  test.each(["nats-micro-runtime/service", "nats-micro-runtime/gateway/rules"])("%s, which the plugin loads, loads no NATS client either", (specifier) => {
    const loaded = packagesLoadedBy(specifier);
    expect(loaded.filter((name) => name.startsWith("@nats-io/") || ["commander", "pino", "prom-client"].includes(name))).toEqual([]);
  });

  test("nats-micro-runtime/gateway loads neither the CLI nor prom-client nor the Node transport", () => {
    const loaded = packagesLoadedBy("nats-micro-runtime/gateway");
    expect(loaded).toContain("@nats-io/nats-core");
    expect(loaded.filter((name) => ["commander", "pino", "prom-client", "@nats-io/transport-node"].includes(name))).toEqual([]);
  });

  test("the CLI entry does load what it needs, and no JetStream client until a command asks for it", () => {
    const loaded = packagesLoadedBy("nats-micro-runtime/cli");
    expect(loaded).toEqual(expect.arrayContaining(["commander", "pino", "@nats-io/transport-node"]));
    expect(loaded.filter((name) => ["@nats-io/jetstream", "@nats-io/kv"].includes(name))).toEqual([]);
  });

  test("nats-micro-runtime/pipeline loads the JetStream client, and neither the CLI nor prom-client", () => {
    const loaded = packagesLoadedBy("nats-micro-runtime/pipeline");
    expect(loaded).toContain("@nats-io/jetstream");
    expect(loaded.filter((name) => ["commander", "pino", "prom-client", "@nats-io/transport-node"].includes(name))).toEqual([]);
  });

  test("nats-micro-runtime/tracing loads the OpenTelemetry API and nothing else of it; the CLI loads the SDK only for serve --trace", () => {
    const loaded = packagesLoadedBy("nats-micro-runtime/tracing");
    expect(loaded.filter((name) => name.startsWith("@opentelemetry/"))).toEqual(["@opentelemetry/api"]);
    expect(loaded.filter((name) => name.startsWith("@nats-io/") || ["commander", "pino", "prom-client"].includes(name))).toEqual([]);
    // prom-client loads @opentelemetry/api by itself; the SDK and the exporter stay out.
    const cli = packagesLoadedBy("nats-micro-runtime/cli");
    expect(cli.filter((name) => name.startsWith("@opentelemetry/") && name !== "@opentelemetry/api")).toEqual([]);
  });
});
