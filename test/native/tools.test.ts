// The reference programs built beside the addon (llama-simple always, llama-batched-bench with
// `npm run build:tools`) run from the build folder alone: copied with nothing but build/bin to a
// fresh folder, with no LD_LIBRARY_PATH, each finds its libraries through its $ORIGIN RUNPATH. A
// program needing a library left elsewhere in the build tree (as llama-batched-bench-impl once
// was, in build/Release) fails here the way it failed on a fresh clone.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cpSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { toolPath } from "../../bindings/index.js";
import { tinyModel } from "../helpers/models.js";
import { testNeeding, type SystemTool } from "../helpers/system-tools.js";

const built = dirname(toolPath("llama-simple"));
const copy = join(mkdtempSync(join(tmpdir(), "rrm-tools-")), "bin");
cpSync(built, copy, { recursive: true, dereference: false, verbatimSymlinks: true });
const env = { ...process.env, LD_LIBRARY_PATH: "", DYLD_LIBRARY_PATH: "" };
const run = (name: string, args: string[]) => spawnSync(join(copy, name), args, { env, encoding: "latin1", timeout: 300_000 });

test("llama-simple runs from a copy of build/bin alone", () => {
  const r = run("llama-simple", ["-m", tinyModel(), "-n", "4", "Hello"]);
  assert.is(r.status, 0, r.stderr);
});

const BATCHED_BENCH: SystemTool = { name: "llama-batched-bench", candidates: [join(built, "llama-batched-bench")], install: "npm run build:tools" };

testNeeding(test, BATCHED_BENCH)("llama-batched-bench runs from a copy of build/bin alone and prints its table", () => {
  assert.ok(existsSync(join(copy, "llama-batched-bench")));
  const r = run("llama-batched-bench", ["-m", tinyModel(), "-c", "512", "-npp", "16", "-ntg", "4", "-npl", "1,2", "-t", "2"]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /\|\s*PP\s*\|\s*TG\s*\|\s*B\s*\|/);
});

test.run();
