// One side of one streaming case, as a process of its own (bench/src/streaming/): a producer that
// serves until told to exit, or a consumer that reads one stream and reports. Talks to the
// runner over IPC: {type: "ready", address}, {type: "rss", bytes}, {type: "result", ...}.
import { consume, startProducer, streamCaseNames, type StreamCaseName } from "./stream-cases.js";

const [role, name, address, countText, payloadText, pauseText, batchText] = process.argv.slice(2);
const send = (message: object) => process.send?.(message);

function caseName(value: string | undefined): StreamCaseName {
  const found = streamCaseNames.find((candidate) => candidate === value);
  if (found === undefined) {
    throw new Error(`unknown case ${value}`);
  }
  return found;
}

try {
  if (role === "producer") {
    const producer = await startProducer(caseName(name), address!);
    process.on("message", (message: { type: string }) => {
      if (message.type === "exit") {
        void producer.stop().finally(() => process.exit(0));
      } else if (message.type === "rss") {
        (globalThis as { gc?: () => void }).gc?.();
        const { rss, heapUsed } = process.memoryUsage();
        send({ type: "rss", bytes: rss, heap: heapUsed });
      }
    });
    send({ type: "ready", address: producer.address });
  } else {
    // The consumer's memory, every second, while it reads: after a full collection when the
    // process may run one (--expose-gc), so that what is counted is what is held.
    const collect = (globalThis as { gc?: () => void }).gc;
    const sampler = setInterval(() => {
      collect?.();
      const { rss, heapUsed } = process.memoryUsage();
      send({ type: "rss", bytes: rss, heap: heapUsed });
    }, 1_000);
    const pauseMs = Number(pauseText ?? 0);
    const result = await consume(caseName(name), address!, Number(countText), Number(payloadText), pauseMs > 0 ? { pauseMs, batch: Number(batchText) } : undefined);
    clearInterval(sampler);
    send({ type: "result", ...result, rss: process.memoryUsage().rss });
    process.disconnect?.();
  }
} catch (error) {
  send({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
}
