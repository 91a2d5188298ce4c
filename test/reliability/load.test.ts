// Load: hundreds of concurrent calls on one engine; nothing lost, nothing duplicated, nothing
// failed for lack of room (more work than the KV cache holds waits its turn).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEngine } from "../../lib/engine.js";
import { loadModel } from "../../lib/model.js";
import { createJudge } from "../../lib/rrm/judge.js";
import { SeededRandom } from "../../lib/random.js";
import { tinyModel, tinyRrmModel } from "../helpers/models.js";

test("300 concurrent generate calls of mixed sizes on a small context all complete", async () => {
  const model = await loadModel(tinyModel());
  const engine = createEngine(model, { contextSize: 1024, maxSequences: 8, threads: 2, prefixCacheSlots: 4 });
  const rng = new SeededRandom(3);
  const specs = Array.from({ length: 300 }, (_, i) => ({ prompt: Array.from({ length: 4 + rng.int(120) }, (_, k) => 200 + ((k * 13 + i * 7) % 20000)), n: 1 + rng.int(4), maxTokens: 1 + rng.int(24) }));
  const results = await Promise.all(specs.map((s, i) => engine.generate({ ...s, ignoreEos: true, seed: i })));
  results.forEach((r, i) => {
    assert.is(r.completions.length, specs[i].n);
    for (const c of r.completions) assert.is(c.tokens.length, specs[i].maxTokens);
    assert.is(r.stats.promptTokens, specs[i].prompt.length);
  });
  const s = engine.stats();
  console.log(`300 generate calls: ${s.requestsDone} done, ${s.generatedTokens} tokens, ${s.steps} steps, live after ${s.liveSequences}`);
  assert.is(s.liveSequences, 0);
  engine.dispose();
  model.dispose();
});

test("200 concurrent compare calls all resolve with the right number of votes", async () => {
  const model = await loadModel(tinyRrmModel());
  const engine = createEngine(model, { contextSize: 8192, maxSequences: 32, threads: 2 });
  const judge = createJudge(engine);
  const votes = 3;
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    judge.compare({ query: `Question ${i}: which is better?`, a: `Answer A${i}`, b: `Answer B${i}` }, { votes, thinkingBudget: 3, maxTokens: 8, earlyStop: false, seed: i })));
  const seen = new Set<string>();
  results.forEach((r, i) => {
    assert.is(r.votes.a + r.votes.b + r.votes.invalid, votes, `compare ${i}`);
    assert.is(r.samples.length, votes);
    for (const s of r.samples) seen.add(`${i}:${s.text}`);
  });
  console.log(`200 compare calls: ${results.length} resolved, ${results.reduce((s, r) => s + r.samples.length, 0)} votes, winners a=${results.filter((r) => r.winner === "a").length} b=${results.filter((r) => r.winner === "b").length}`);
  assert.is(engine.stats().liveSequences, 0);
  engine.dispose();
  model.dispose();
});

test.run();
