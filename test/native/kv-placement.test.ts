// Patch 0007 (run placement) is in the binary, by behaviour: sequences decoded together in a unified
// KV cache keep their cells in runs, read back from llama.cpp's own cache map
// (native/tests/kv_placement.cpp); LLAMA_KV_RUN=0 turns it off, and the same program then sees the
// cells interleaved (the control: the check can fail). Patch 0006 changes no result by design (it
// skips only cells the loop skipped); the batch-invariance checker's rows, equal bit for bit with
// it, and bench/unified-attention.sh's speed are its evidence.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toolPath } from "../../bindings/index.js";
import { tinyModel } from "../helpers/models.js";

const program = join(dirname(toolPath("llama-simple")), "rrm-kv-placement");
const run = (env: Record<string, string> = {}, args: string[] = []) => spawnSync(program, [tinyModel(), ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
const changes = (out: string) => Number(/changes between neighbouring used cells: (\d+) of (\d+)/.exec(out)?.[1] ?? NaN);

test("4 sequences decoded together: each one's cells lie in runs of 64 (a few changes between neighbours)", () => {
  const r = run();
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\(runs\)/);
  assert.ok(changes(r.stdout) <= 16, r.stdout);
});

test("control: LLAMA_KV_RUN=0 gives llama.cpp's old placement, the sequences interleaved cell by cell", () => {
  const r = run({ LLAMA_KV_RUN: "0" });
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /\(interleaved\)/);
  assert.ok(changes(r.stdout) > 300, r.stdout);
});

test("a full cache (free cells in stretches of 32, no block of 64 free): the runs go on through the stretches", () => {
  const r = run({}, ["--full"]);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\(runs\)/);
});

test("control: a full cache with LLAMA_KV_RUN=0 interleaves", () => {
  const r = run({ LLAMA_KV_RUN: "0" }, ["--full"]);
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /\(interleaved\)/);
});

test.run();
