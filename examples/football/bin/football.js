#!/usr/bin/env node
// The `football` command: run the match-odds workers (`football serve`), the HTTP gateway in front
// of them (`football gateway`), call them, discover them. `football --help` says how.
import { readFileSync } from "node:fs";
import { footballGatewayOptions } from "../dist/football-gateway.js";
import { runFootballCli } from "../dist/gen/football/v1/football_cli.js";

// The plugin's OpenAPI document (openapi=true), served at /openapi.json with its descriptions.
const openApi = JSON.parse(readFileSync(new URL("../src/gen/football/v1/football.openapi.json", import.meta.url), "utf8"));

await runFootballCli(undefined, { gateway: { ...footballGatewayOptions, openApi } });
