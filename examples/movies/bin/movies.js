#!/usr/bin/env node
// The `movies` program: the REST gateway (`movies gateway`), the engine (`movies engine serve`),
// the download jobs (`movies downloads`), the database migrations (`movies migrate`) and a local
// file server to download from (`movies mirror`). `movies --help` says how.
import { runMoviesProgram } from "../dist/movies-program.js";

await runMoviesProgram();
