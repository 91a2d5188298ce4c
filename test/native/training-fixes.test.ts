// Patches 0016 and 0017 are in the binary, by behaviour: native/tests/opt_checks.cpp drives ggml's
// optimizer the way llama_opt_epoch does (graphs rebuilt every step) for 3 steps with a frozen
// parameter and compares its gradient with the true one each step. Without 0016 the gradient of
// step k is k times the true one (the accumulators are never zeroed); without 0017 a label row of
// zeros (a position without loss, as the judge trainer masks its prompt) gets a gradient.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toolPath } from "../../bindings/index.js";

const program = join(dirname(toolPath("llama-simple")), "rrm-opt-check");

test("ggml's optimizer: each of 3 steps applies that step's true gradient (masked and doubled label rows included)", () => {
  const r = spawnSync(program, [], { encoding: "utf8", timeout: 60_000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
  const steps = [...r.stdout.matchAll(/^step (\d+): max \|gradient - true\| (\S+)/gm)];
  assert.is(steps.length, 3, r.stdout);
  for (const [, , d] of steps) assert.ok(Number(d) <= 1e-5, r.stdout);
  assert.match(r.stdout, /^ok$/m);
});

test.run();
