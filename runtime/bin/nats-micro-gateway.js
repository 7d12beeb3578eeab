#!/usr/bin/env node
// The standalone HTTP/JSON gateway: `nats-micro-gateway gateway --descriptors FILE --help` says how.
import { runGatewayProgram } from "../dist/cli/gateway-program.js";

await runGatewayProgram();
