// The property-based fuzz targets of test/fuzz/parsers.ts at a few hundred runs each, so every
// `npm test` tries fresh inputs on the parsers that read outside bytes (test/fuzz/run.ts runs
// them at length). The seed is printed on failure; FUZZ_SEED replays one, FUZZ_RUNS scales.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TARGETS } from "../fuzz/parsers.js";
import { parseVerdict } from "../../lib/rrm/verdict.js";

const runs = Number(process.env.FUZZ_RUNS ?? 300);
const seed = process.env.FUZZ_SEED === undefined ? Date.now() % 0x7fffffff : Number(process.env.FUZZ_SEED);

for (const target of TARGETS) {
  test(`${target.name}: ${target.about}`, async () => {
    try {
      await target.run(runs, seed);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n(replay: FUZZ_SEED=${seed} npx tsx test/unit/parsers-fuzz.test.ts)`);
    }
  });
}

test("every target is exercised (a property that never runs cannot fail)", () => {
  assert.equal(TARGETS.map((t) => t.name), ["jsonl-lines", "jsonl-resume", "eval-items", "openrlhf", "gguf", "verdict"]);
});

// Regression inputs the fuzzers produced or that guard their edges.
test("verdict: a box holding only 'Assistant ' or a lone brace is invalid, not a crash", () => {
  assert.equal(parseVerdict("</think>\\boxed{Assistant }").verdict, null);
  assert.equal(parseVerdict("</think>\\boxed{").verdict, null);
  assert.equal(parseVerdict("</think>}}}\\boxed{Assistant 2}}").verdict, 2);
  // fast-check, seed 927897442: a truncated sample's complete but empty box was "other-text".
  assert.equal(parseVerdict("</think>\\boxed{}", { truncated: true }).reason, "length-limit");
});

test.run();
