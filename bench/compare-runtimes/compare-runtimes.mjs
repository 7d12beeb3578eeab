// CPU per call of runtime builds side by side, in one process and without a network:
//   node bench/compare-runtimes/compare-runtimes.mjs ROUNDS CALLS NAME_A NAME_B ...
// (builds made by build-runtime.sh). For each build, "call" is a generated client calling a generated
// host, "host" is the host alone (a request with the timeout header as the generated client sends
// it), "intercepted" the host with one interceptor that passes requests on; "raw" is the same
// exchange with fixed reply bytes and no codec.
// Each build gets its own fake connection (publish hands the message straight to the subscriber
// in a microtask); rounds interleave raw and every build, and per-round ratios cancel load drift.
import { MsgImpl, headers as natsHeaders } from "@nats-io/nats-core/internal";
import { create, toBinary } from "@bufbuild/protobuf";
import { Bench, ScoreRequestSchema, ScoreResponseSchema } from "../dist/gen/bench/v1/bench_pb.js";
import { score, scoreRequestInit } from "../dist/src/bench-messages.js";

const [roundsText = "40", callsText = "4000", ...names] = process.argv.slice(2);
const rounds = Number(roundsText), calls = Number(callsText);
const te = new TextEncoder();

function fakeConnection() {
  const subs = [];
  const nc = {
    info: { max_payload: 1048576, headers: true }, options: {},
    isClosed: () => false, isDraining: () => false,
    subscribe(subject, opts) {
      const sub = { subject, callback: opts.callback, closed: new Promise(() => {}), isClosed: () => false, getSubject: () => subject, unsubscribe() {}, drain: async () => {} };
      subs.push(sub);
      return sub;
    },
    status() { return { [Symbol.asyncIterator]() { return { next: () => new Promise(() => {}) }; } }; },
    async flush() {},
    publish(subject, data = new Uint8Array(0), opts = {}) {
      const h = opts.headers ? opts.headers.encode() : new Uint8Array(0);
      const buf = new Uint8Array(h.length + data.length);
      buf.set(h, 0); buf.set(data, h.length);
      const arg = { subject: te.encode(subject), reply: opts.reply ? te.encode(opts.reply) : undefined, sid: 1, hdr: opts.headers ? h.length : -1, size: buf.length };
      const sub = subs.find((s) => s.subject === subject || (s.subject.endsWith(".*") && subject.startsWith(s.subject.slice(0, -1))));
      if (sub) queueMicrotask(() => sub.callback(null, new MsgImpl(arg, buf, nc)));
    },
  };
  return nc;
}

const reply = toBinary(ScoreResponseSchema, create(ScoreResponseSchema, score(scoreRequestInit)));
const reqBytes = toBinary(ScoreRequestSchema, create(ScoreRequestSchema, scoreRequestInit));
const rawNc = fakeConnection();
rawNc.subscribe("raw.x", { callback: (e, m) => m.respond(reply) });
let rawResolve;
rawNc.subscribe("rawinbox.*", { callback: (e, m) => rawResolve(m) });
const cases = { raw: () => new Promise((resolve) => { rawResolve = resolve; rawNc.publish("raw.x", reqBytes, { reply: "rawinbox.1" }); }) };
const hostHeaders = natsHeaders();
hostHeaders.append("Nats-Rpc-Timeout-Ms", "5000");
for (const name of names) {
  const runtime = await import(`./builds/${name}/dist/index.js`);
  const nc = fakeConnection();
  await runtime.createHost(nc, Bench, { score: async (request) => score(request) });
  const client = runtime.createClient(nc, Bench, { timeoutMs: 5000 });
  let resolveHost;
  nc.subscribe("hostinbox.*", { callback: (e, m) => resolveHost(m) });
  cases[`${name}:call`] = () => client.score(scoreRequestInit);
  cases[`${name}:host`] = () => new Promise((resolve) => { resolveHost = resolve; nc.publish("bench.v1.Bench.Score", reqBytes, { reply: "hostinbox.1", headers: hostHeaders }); });
  // The host with one interceptor that passes each request on as it came (as validation does).
  const interceptedNc = fakeConnection();
  await runtime.createHost(interceptedNc, Bench, { score: async (request) => score(request) }, { interceptors: [(next) => (request) => next(request)] });
  let resolveIntercepted;
  interceptedNc.subscribe("hostinbox.*", { callback: (e, m) => resolveIntercepted(m) });
  cases[`${name}:intercepted`] = () => new Promise((resolve) => { resolveIntercepted = resolve; interceptedNc.publish("bench.v1.Bench.Score", reqBytes, { reply: "hostinbox.1", headers: hostHeaders }); });
}
const run = async (fn) => {
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await fn();
  const cpu = process.cpuUsage(before);
  return ((cpu.user + cpu.system) * 1000) / calls;
};
const per = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let w = 0; w < 3; w++) for (const fn of Object.values(cases)) await run(fn);
for (let r = 0; r < rounds; r++) {
  const order = Object.entries(cases);
  if (r % 2 === 1) order.reverse();
  for (const [k, fn] of order) per[k].push(await run(fn));
}
const med = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const q = (v, f) => [...v].sort((a, b) => a - b)[Math.floor(v.length * f)];
console.log(`load ${(await import("node:os")).loadavg()[0].toFixed(1)}; ns per call (min / median), and the median of per-round ratios to raw`);
for (const [k, v] of Object.entries(per)) {
  console.log(`${k.padEnd(16)} ${(q(v, 0) / 1000).toFixed(2).padStart(6)} / ${(med(v) / 1000).toFixed(2).padStart(6)} us   x raw ${med(v.map((x, i) => x / per.raw[i])).toFixed(2)}`);
}
for (let i = 1; i < names.length; i++) for (const kind of ["call", "host", "intercepted"]) {
  const a = per[`${names[0]}:${kind}`], b = per[`${names[i]}:${kind}`];
  const ratios = b.map((x, j) => x / a[j]);
  console.log(`${names[i]}/${names[0]} ${kind}: median ${med(ratios).toFixed(3)} (p25 ${q(ratios, 0.25).toFixed(3)}, p75 ${q(ratios, 0.75).toFixed(3)}); diff of medians ${((med(b) - med(a)) / 1000).toFixed(2)} us`);
}
