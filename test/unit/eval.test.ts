// rrm eval's arithmetic with a scripted judge: exact accuracies, intervals, section weights,
// best-of-n scoring and position bias, checked against hand-computed values.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { evaluateItem, parseEvalItem, type EvalItemRecord } from "../../lib/eval/items.js";
import { summarize, summaryMarkdown, wilson } from "../../lib/eval/summary.js";
import { EXAMPLE_COUNTS, SUBSET_MAPPING } from "../../lib/eval/rewardbench.js";
import { ScriptedJudge } from "../helpers/scripted-judge.js";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

async function run(lines: object[], opts = {}) {
  const judge = new ScriptedJudge();
  const recs: EvalItemRecord[] = [];
  for (const [i, l] of lines.entries()) recs.push(await evaluateItem(judge, parseEvalItem(l, i + 1), { votes: 1, swap: "none", seed: i, ...opts }));
  return { judge, recs };
}

test("RewardBench's weights: every subset mapped, math-prm weighs as much as the six code subsets", () => {
  const all = Object.values(SUBSET_MAPPING).flat();
  assert.equal(all.length, 23);
  for (const s of all) assert.ok(EXAMPLE_COUNTS[s] > 0, s);
  assert.is(EXAMPLE_COUNTS["math-prm"], 6 * EXAMPLE_COUNTS["hep-go"]);
});

test("Wilson intervals match hand-computed values", () => {
  const w = wilson(0.75, 2);
  close(w.low, 0.19786745576231113, 1e-12);
  close(w.high, 0.9733226579910154, 1e-12);
  close(wilson(0, 1).high, 0.7934506856227626, 1e-12);
  assert.is(wilson(0, 1).low, 0);
});

test("subset accuracy, sections by example counts, overall = mean of sections, unknown subsets kept", async () => {
  const { recs } = await run([
    { id: "a1", prompt: "q", chosen: "good", rejected: "bad", subset: "alpacaeval-easy" }, // 1
    { id: "a2", prompt: "q", chosen: "meh", rejected: "meh", subset: "alpacaeval-easy" }, // tie: 0.5
    { id: "h1", prompt: "q", chosen: "bad", rejected: "good", subset: "mt-bench-hard" }, // 0
    { id: "m1", prompt: "q", chosen: "good", rejected: "meh", subset: "math-prm" }, // 1
    { id: "c1", prompt: "q", chosen: "bad", rejected: "meh", subset: "hep-go" }, // 0
    { id: "x1", prompt: "q", chosen: "good", rejected: "bad", subset: "my-own-set" }, // 1
  ]);
  assert.equal(recs.map((r) => r.score), [1, 0.5, 0, 1, 0, 1]);
  const s = summarize([...recs, { error: "line 7: not valid JSON" }]);
  assert.is(s.items, 6);
  assert.is(s.failedItems, 1);
  const alpaca = s.subsets.find((x) => x.subset === "alpacaeval-easy")!;
  close(alpaca.accuracy, 0.75);
  close(alpaca.interval.low, 0.19786745576231113, 1e-12);
  const mine = s.subsets.find((x) => x.subset === "my-own-set")!;
  assert.is(mine.section, null);
  assert.is(s.subsets[s.subsets.length - 1].subset, "my-own-set");
  const sec = Object.fromEntries(s.sections.map((x) => [x.section, x]));
  close(sec.Chat.score, 0.75);
  close(sec["Chat Hard"].score, 0);
  close(sec.Reasoning.score, 984 / 1148); // (984 x 1 + 164 x 0) / (984 + 164)
  assert.not.ok(sec.Safety);
  close(s.overall!.score, (0.75 + 0 + 984 / 1148) / 3);
  // Chat's variance .75 x .25 / 2; the others' are 0: overall interval from it alone, / 3 sections.
  close(sec.Chat.interval.low, 0.1498860404555863, 1e-12);
  close(s.overall!.interval.low, 0.3356762991994811, 1e-12);
  close(s.overall!.interval.high, 0.7357522722290903, 1e-12);
  close(s.allItems.accuracy, 3.5 / 6);
  assert.is(s.judgments, 6);
  assert.is(s.invalidVotes, 1);
  const md = summaryMarkdown(s, "m.gguf");
  assert.match(md, /\| alpacaeval-easy \| Chat \| 2 \| 75\.0 \|/);
  assert.match(md, /RRM-7B \(paper\) \| 87\.7 \| 70\.4 \| 80\.7 \| 90\.0 \| 82\.2/);
  assert.match(md, /my-own-set \| \(not RewardBench\)/);
});

test("best-of-n (RewardBench 2): chosen against every rejected; the lowest comparison score", async () => {
  const { judge, recs } = await run([
    { prompt: "q", chosen: ["good"], rejected: ["bad1", "bad2", "bad3"], subset: "Focus" }, // wins all: 1
    { prompt: "q", chosen: ["meh"], rejected: ["bad", "meh", "bad"], subset: "Focus" }, // a tie, no loss: 0.5
    { prompt: "q", chosen: ["meh"], rejected: ["bad", "good", "meh"], subset: "Focus" }, // a loss: 0
  ]);
  assert.equal(recs.map((r) => r.score), [1, 0.5, 0]);
  assert.equal(recs.map((r) => r.format), ["best-of-n", "best-of-n", "best-of-n"]);
  assert.is(recs[0].comparisons.length, 3);
  assert.is(judge.calls.length, 9);
  assert.is(judge.calls[0].input.a, "good");
});

test("position bias: accuracy by the order shown; agreement with swap alternate", async () => {
  // "first" wins only when shown first: with alternate votes each order gets one vote.
  const { recs } = await run([
    { prompt: "q", chosen: "first", rejected: "x", subset: "s" },
    { prompt: "q", chosen: "good", rejected: "bad", subset: "s" },
  ], { votes: 2, swap: "alternate" });
  const s = summarize(recs);
  assert.is(s.positionBias.chosenFirst.comparisons, 2);
  close(s.positionBias.chosenFirst.accuracy!, 1);
  close(s.positionBias.chosenSecond.accuracy!, 0.5);
  assert.is(s.positionBias.bothOrders.comparisons, 2);
  close(s.positionBias.bothOrders.agreement!, 0.5);
  assert.equal(recs[0].comparisons[0].byOrder, { chosenFirst: { chosen: 1, rejected: 0, invalid: 0 }, chosenSecond: { chosen: 0, rejected: 1, invalid: 0 } });
});

test("bad lines are errors that name the line and the field", () => {
  assert.throws(() => parseEvalItem({ prompt: 1, chosen: "a", rejected: "b" }, 4), /line 4: "prompt" must be a string/);
  assert.throws(() => parseEvalItem({ prompt: "p", chosen: [], rejected: "b" }, 5), /line 5: "chosen" must be a string or a non-empty array/);
  assert.throws(() => parseEvalItem([1], 6), /line 6: expected a JSON object/);
  assert.is(parseEvalItem({ prompt: "p", chosen: "a", rejected: "b" }, 1).subset, "(none)");
});

test.run();
