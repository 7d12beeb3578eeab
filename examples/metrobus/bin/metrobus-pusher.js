#!/usr/bin/env node
// The pusher: puts account records on the Notify pipeline. `metrobus-pusher --help` says how.
import { parsePusherOptions, pusherUsage, runPusher } from "../dist/pusher.js";

let options;
try {
  options = parsePusherOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
if (options === "help") {
  process.stdout.write(pusherUsage);
} else {
  process.exitCode = await runPusher(options);
}
