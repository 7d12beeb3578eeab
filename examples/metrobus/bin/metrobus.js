#!/usr/bin/env node
// The `metrobus` command: run the stops (`metrobus serve --pipeline`), watch them
// (`metrobus pipeline status`), call them, discover them. `metrobus --help` says how.
import { runMetrobusCli } from "../dist/gen/metrobus/v1/metrobus_cli.js";

await runMetrobusCli();
