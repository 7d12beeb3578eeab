#!/usr/bin/env node
// The `football` command: run the match-odds workers (`football serve`), call them, discover them.
// `football --help` says how.
import { runFootballCli } from "../dist/gen/football/v1/football_cli.js";

await runFootballCli();
