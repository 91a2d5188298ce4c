// Behaviour on the trained arithmetic judge (trainedJudgeModel(); models/arithmetic-judge.md):
// what random weights cannot show. Verdicts that follow the right answer in either order, natural
// stops at </think> and EOS at lengths that vary, a forced verdict (thinking budget 1) whose
// probability favours the right answer, early stop on a settled pair, a tournament that crowns
// the right answer. Held-out problems, fixed seeds: the engine is deterministic for a seed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEngine, type Engine } from "../../lib/engine.js";
import { loadModel, type Model } from "../../lib/model.js";
import { SeededRandom } from "../../lib/random.js";
import { createJudge, type Judge } from "../../lib/rrm/judge.js";
import { drawCandidateSet, heldOut, type JudgingItem } from "../../lib/train/arithmetic.js";
import { drawSplitItem } from "../../lib/train/dataset.js";
import { trainedJudgeModel } from "../../lib/train/trained-model.js";

let model: Model, engine: Engine, judge: Judge;
test.before(async () => {
  model = await loadModel(trainedJudgeModel());
  engine = createEngine(model, { contextSize: 16384, maxSequences: 32, threads: 2 });
  judge = createJudge(engine);
});
test.after(() => {
  engine.dispose();
  model.dispose();
});

const r = new SeededRandom(2024);
const PAIRS: JudgingItem[] = [...Array.from({ length: 4 }, () => drawSplitItem(r, "add2", true)), ...Array.from({ length: 4 }, () => drawSplitItem(r, "sub2", true))];

test("the model is the trained judge: its name says so, its vocabulary is the small subset", () => {
  assert.match(model.info.name, /arithmetic judge/);
  assert.ok(model.info.vocabularySize < 2000, String(model.info.vocabularySize));
});

test("verdicts follow the right answer, shown first or second", async () => {
  const results = await Promise.all(PAIRS.flatMap((p, i) => [
    judge.compare({ query: p.query, a: p.right, b: p.wrong }, { votes: 3, swap: "none", seed: i }),
    judge.compare({ query: p.query, a: p.wrong, b: p.right }, { votes: 3, swap: "none", seed: i }),
  ]));
  const right = results.filter((res, k) => res.winner === (k % 2 === 0 ? "a" : "b")).length;
  assert.ok(right >= 14, `${right} of 16 majorities right`);
});

test("natural stops: the reasoning closes with </think>, a verdict and EOS, at lengths that vary", async () => {
  const res = await Promise.all(PAIRS.slice(0, 4).map((p, i) => judge.compare({ query: p.query, a: p.right, b: p.wrong }, { votes: 2, seed: 100 + i, earlyStop: false })));
  const samples = res.flatMap((x) => x.samples);
  for (const s of samples) {
    assert.is(s.finishReason, "eos", s.text);
    assert.match(s.text, /\n<\/think>\n\n\\boxed\{Assistant [12]\}$/);
    assert.ok(s.tokens > 20 && s.tokens < 200, String(s.tokens));
  }
  assert.ok(new Set(samples.map((s) => s.tokens)).size > 1, "every judgment had the same length");
});

test("a forced verdict (thinking budget 1) gives the right answer the higher probability", async () => {
  const res = await Promise.all(PAIRS.map((p, i) => judge.compare({ query: p.query, a: p.right, b: p.wrong }, { votes: 1, thinkingBudget: 1, seed: 200 + i })));
  for (const x of res) assert.is(x.samples[0].finishReason, "forced");
  const mean = res.reduce((t, x) => t + x.probabilityA!, 0) / res.length;
  assert.ok(mean > 0.5, `mean P(right) ${mean.toFixed(3)}`);
});

test("early stop: a settled pair stops once a majority of its votes agree", async () => {
  const p = PAIRS[0];
  const res = await judge.compare({ query: p.query, a: p.right, b: p.wrong }, { votes: 5, seed: 300 });
  assert.is(res.winner, "a");
  assert.ok(res.earlyStopped);
  assert.is(res.votes.a + res.votes.b + res.votes.invalid, 3);
});

test("a knockout over 8 candidates, one right, crowns the right one", async () => {
  const rs = new SeededRandom(77);
  const tasks = [drawCandidateSet(rs, "add2", 8, heldOut), drawCandidateSet(rs, "sub2", 8, heldOut)];
  const res = await Promise.all(tasks.map((t, i) => judge.rank(t.query, t.candidates, { strategy: "knockout", votes: 3, seed: i })));
  res.forEach((x, i) => assert.is(x.winner, tasks[i].right, `${tasks[i].query}: ${tasks[i].candidates.join(" | ")}`));
});

test.run();
