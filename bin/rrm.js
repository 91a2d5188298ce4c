#!/usr/bin/env node
// The `rrm` command: runs the compiled CLI (dist/), or, in a development checkout that has not
// compiled it, the TypeScript sources through tsx in this same process, so that signals sent to
// this pid (a process manager's SIGTERM) reach the CLI's handlers rather than a parent that
// would die and leave a child running.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("../dist/lib/cli/main.js", import.meta.url);
if (existsSync(fileURLToPath(compiled))) {
  const { main } = await import(compiled.href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import(new URL("../lib/cli/main.ts", import.meta.url).href);
  process.exitCode = await main(process.argv.slice(2));
}
