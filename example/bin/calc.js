#!/usr/bin/env node
// The `calc` command: run the calculator, call it, discover it. `calc --help` says how.
import { runCalcCli } from "../dist/gen/calc/v1/calc_cli.js";

await runCalcCli();
