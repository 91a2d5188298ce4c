#!/usr/bin/env node
// The `rrm` command: runs the compiled CLI (dist/), or the TypeScript sources through tsx in a
// development checkout that has not compiled them.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const compiled = new URL("../dist/lib/cli/main.js", import.meta.url);
if (existsSync(fileURLToPath(compiled))) {
  const { main } = await import(compiled.href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  const source = fileURLToPath(new URL("../lib/cli/entry.ts", import.meta.url));
  const r = spawnSync(process.execPath, ["--import", "tsx", source, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exitCode = r.status ?? 1;
}
