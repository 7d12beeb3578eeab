#!/usr/bin/env node
import { runNodeJs } from "@bufbuild/protoplugin";
import { protocGenNats } from "../dist/protoc-gen-nats-plugin.js";

runNodeJs(protocGenNats);
