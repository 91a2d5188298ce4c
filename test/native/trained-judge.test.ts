// Behaviour on the trained arithmetic judge (trainedJudgeModel(); models/arithmetic-judge.md):
// what random weights cannot show. It is a real Qwen2 GGUF on the vocabulary subset, it stops by
// itself at EOS after judgments of varying length, those end with a valid verdict, a thinking
// budget's forced verdict yields a vote with a probability, and its reasoning computes the result
// and reads the shown answers. That its verdicts follow the right answer (votes, early stop,
// forced verdicts, tournaments, the server, rrm eval): trained-judge-verdicts.test.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEngine, type Engine } from "../../lib/engine.js";
import { loadModel, type Model } from "../../lib/model.js";
import { SeededRandom } from "../../lib/random.js";
import { createJudge, type Judge } from "../../lib/rrm/judge.js";
import { readAnswers, wroteResult, type JudgingItem } from "../../lib/train/arithmetic.js";
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
const PAIRS: JudgingItem[] = [...Array.from({ length: 3 }, () => drawSplitItem(r, "add2", true)), ...Array.from({ length: 3 }, () => drawSplitItem(r, "sub2", true))];

test("the model is the trained judge: its name says so, its vocabulary is the small subset, its template is R1's", () => {
  assert.match(model.info.name, /arithmetic judge/);
  assert.is(model.info.vocabularySize, 695);
  assert.match(judge.prompter.render({ query: "What is 1 + 2?", first: "3", second: "4" }), /<｜Assistant｜><think>\n$/);
});

test("the subset tokenizes the judge's own text as the full vocabulary would: digits one by one", () => {
  const ids = model.tokenize("What is 37 + 48?");
  assert.equal(ids.map((t) => model.detokenize([t])), ["What", " is", " ", "3", "7", " +", " ", "4", "8", "?"]);
});

test("natural stops: every judgment ends at EOS by itself, far below the cap, at lengths that vary", async () => {
  const res = await Promise.all(PAIRS.map((p, i) => judge.compare({ query: p.query, a: p.right, b: p.wrong }, { votes: 2, seed: 100 + i, earlyStop: false, maxTokens: 512 })));
  const samples = res.flatMap((x) => x.samples);
  for (const s of samples) {
    assert.is(s.finishReason, "eos", s.text);
    assert.ok(s.tokens < 256, String(s.tokens));
  }
  assert.ok(new Set(samples.map((s) => s.tokens)).size > 3, "the judgments had nearly the same length");
});

test("natural judgments end with a valid verdict: </think>, then \\boxed{Assistant N}, then EOS", async () => {
  const res = await Promise.all(PAIRS.map((p, i) => judge.compare({ query: p.query, a: p.right, b: p.wrong }, { votes: 2, seed: 300 + i, earlyStop: false, maxTokens: 512 })));
  const samples = res.flatMap((x) => x.samples);
  const valid = samples.filter((s) => s.verdict === "a" || s.verdict === "b");
  // (the model of the first training run, before patches 0016-0017, wrote 13% of its verdicts valid)
  assert.ok(valid.length >= samples.length - 1, `${valid.length} of ${samples.length} valid:\n${samples.filter((s) => !valid.includes(s)).map((s) => s.text).join("\n---\n")}`);
  for (const s of valid) assert.match(s.text, /<\/think>\s*\\boxed\{Assistant [12]\}\s*$/);
});

test("a thinking budget's forced verdict gives every judgment that reaches it a vote and a probability", async () => {
  const res = await Promise.all(PAIRS.map((p, i) => judge.compare({ query: p.query, a: p.right, b: p.wrong }, { votes: 2, thinkingBudget: 16, seed: 200 + i, earlyStop: false })));
  const forced = res.flatMap((x) => x.samples).filter((s) => s.finishReason === "forced");
  assert.ok(forced.length >= 8, `${forced.length} of 12 judgments reached the budget`);
  for (const s of forced) {
    assert.ok(s.verdict === "a" || s.verdict === "b", s.text);
    assert.ok(s.probabilityA! > 0 && s.probabilityA! < 1);
  }
});

// What it has learned (models/arithmetic-judge.md): to copy the query's numbers, compute the result
// column by column, and copy each shown answer into its check line. A model that has not learned
// to compute (random weights; the models before patches/0018, which wrote `98-33=34` for 96 - 33)
// writes the exact result almost never. The bounds sit well under what the shipped model measures.
const g = new SeededRandom(4242);
const HELD: JudgingItem[] = [...Array.from({ length: 8 }, () => drawSplitItem(g, "add2", true)), ...Array.from({ length: 8 }, () => drawSplitItem(g, "sub2", true))];

test("it computes: the result line of held-out 2-digit problems (`37+48=85`) holds the true result (at least 5 of 16; the models before patch 0018 wrote it in none)", async () => {
  const res = await Promise.all(HELD.map((p, i) => judge.compare({ query: p.query, a: p.right, b: p.wrong }, { seed: 500 + i, maxTokens: 256 })));
  const right = res.filter((r, i) => wroteResult(HELD[i].problem, r.samples[0].text)).length;
  assert.ok(right >= 5, `${right} of 16 judgments wrote the true result:\n${res.map((r) => r.samples[0].text.split("\n").slice(0, 3).join(" | ")).join("\n")}`);
});

test("it reads the answers: each check line names the answer shown in that place (`Assistant 1: 85, ...`)", async () => {
  const res = await Promise.all(HELD.map((p, i) => judge.compare({ query: p.query, a: p.right, b: p.wrong }, { seed: 600 + i, maxTokens: 256 })));
  const copied = res.filter((r, i) => {
    const s = r.samples[0];
    const shown = s.swapped ? [HELD[i].wrongValue, HELD[i].rightValue] : [HELD[i].rightValue, HELD[i].wrongValue];
    return readAnswers(shown, s.text);
  }).length;
  assert.ok(copied >= 8, `${copied} of 16 judgments named both answers`);
});

test.run();
