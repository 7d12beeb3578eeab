#!/usr/bin/env node
// The `metropolis` command: run the workers (`metropolis serve`), call them, discover them.
// `metropolis --help` says how.
import { runWorkerCli } from "../dist/gen/metropolis/v1/worker_cli.js";

await runWorkerCli();
