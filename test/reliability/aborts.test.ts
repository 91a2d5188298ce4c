// 100 aborts at random moments (before submit, during prefill, during decode, between steps):
// each rejects with an AbortError within about one step, the engine keeps serving, and no
// sequence or KV reservation is left behind.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEngine } from "../../lib/engine.js";
import { loadModel } from "../../lib/model.js";
import { SeededRandom } from "../../lib/random.js";
import { tinyModel } from "../helpers/models.js";

test("100 random aborts: AbortError, engine still serving, nothing leaked", async () => {
  const model = await loadModel(tinyModel());
  // A small batch makes long prompts take several prefill steps, so aborts land inside prefill too.
  const engine = createEngine(model, { contextSize: 8192, maxSequences: 16, threads: 2, batchSize: 64 });
  const rng = new SeededRandom(100);
  const tally = { aborted: 0, finishedFirst: 0, slow: 0 };
  let worstMs = 0;
  const one = async (i: number) => {
    const ac = new AbortController();
    const prompt = Array.from({ length: 16 + rng.int(600) }, (_, k) => 100 + ((k * 31 + i) % 30000));
    const delay = [0, 1, 3, 10, 30][rng.int(5)];
    const early = rng.int(10) === 0; // aborted before it is even submitted
    if (early) ac.abort();
    const p = engine.generate({ prompt, n: 1 + rng.int(4), maxTokens: 40 + rng.int(200), ignoreEos: true, seed: i, signal: ac.signal });
    let abortedAt = 0;
    if (!early) setTimeout(() => { abortedAt = performance.now(); ac.abort(); }, delay);
    try {
      await p;
      tally.finishedFirst++;
    } catch (e) {
      assert.is((e as Error).name, "AbortError", (e as Error).message);
      tally.aborted++;
      if (abortedAt) worstMs = Math.max(worstMs, performance.now() - abortedAt);
    }
  };
  // Several in flight at once, so aborts also fall between other requests' steps.
  for (let wave = 0; wave < 10; wave++) {
    await Promise.all(Array.from({ length: 10 }, (_, k) => one(wave * 10 + k)));
  }
  const s = engine.stats();
  console.log(`aborts: ${tally.aborted} rejected with AbortError, ${tally.finishedFirst} finished before their abort; slowest rejection ${worstMs.toFixed(0)} ms after abort(); live sequences after: ${s.liveSequences}, reserved cells: ${s.reservedCells}`);
  assert.is(tally.aborted + tally.finishedFirst, 100);
  assert.ok(tally.aborted >= 80);
  assert.is(s.liveSequences, 0);
  assert.is(s.liveRequests, 0);
  assert.is(s.waitingRequests, 0);
  assert.is(s.reservedCells, 0);
  // One step of this engine is well under a second; the rejection comes at the next step.
  assert.ok(worstMs < 3000, `slowest rejection ${worstMs} ms`);
  const after = await engine.generate({ prompt: "still serving", n: 2, maxTokens: 5, ignoreEos: true });
  assert.is(after.stats.generatedTokens, 10);
  engine.dispose();
  model.dispose();
});

test.run();
