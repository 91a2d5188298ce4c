// rrm eval's arithmetic with a scripted judge: exact accuracies, intervals, section weights,
// best-of-n scoring and position bias, checked against hand-computed values.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { evaluateItem, parseEvalItem, type EvalItemRecord } from "../../lib/eval/items.js";
import { summarize, summaryMarkdown, wilson } from "../../lib/eval/summary.js";
import { EXAMPLE_COUNTS, SUBSET_MAPPING } from "../../lib/eval/rewardbench.js";
import { evalReportHtml } from "../../lib/report/eval-report.js";
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
  // Sections at 0% or 100% still have width (the normal approximation gave Chat Hard 0-0).
  assert.ok(sec["Chat Hard"].interval.low < 0.01 && sec["Chat Hard"].interval.high > 0.3, JSON.stringify(sec["Chat Hard"].interval));
  assert.ok(sec.Reasoning.interval.low < sec.Reasoning.score - 0.2 && sec.Reasoning.interval.high > sec.Reasoning.score);
  assert.ok(s.overall!.interval.low < s.overall!.score && s.overall!.interval.high > s.overall!.score);
  close(s.allItems.accuracy, 3.5 / 6);
  assert.is(s.judgments, 6);
  assert.is(s.invalidVotes, 1);
  const md = summaryMarkdown(s, "m.gguf");
  assert.match(md, /\| alpacaeval-easy \| Chat \| 2 \| 75\.0 \|/);
  assert.match(md, /RRM-7B \(paper\) \| 87\.7 \| 70\.4 \| 80\.7 \| 90\.0 \| 82\.2/);
  assert.match(md, /my-own-set \| \(not RewardBench\)/);
  assert.not.match(md, /### RewardBench 2/);
});

test("intervals never collapse at 0% or 100%, are seeded, and agree with Wilson for one subset", async () => {
  // The file: every subset at 0% or 100% printed "Reasoning 85.7 (85.7-85.7)".
  const lines = [
    ...Array.from({ length: 6 }, () => ({ prompt: "q", chosen: "good", rejected: "bad", subset: "math-prm" })),
    ...Array.from({ length: 2 }, () => ({ prompt: "q", chosen: "bad", rejected: "good", subset: "hep-go" })),
    ...Array.from({ length: 5 }, () => ({ prompt: "q", chosen: "good", rejected: "bad", subset: "alpacaeval-easy" })),
  ];
  const { recs } = await run(lines);
  const s = summarize(recs);
  const reasoning = s.sections.find((x) => x.section === "Reasoning")!;
  close(reasoning.score, 984 / 1148);
  assert.ok(reasoning.interval.high - reasoning.interval.low > 0.2, JSON.stringify(reasoning.interval));
  const chat = s.sections.find((x) => x.section === "Chat")!;
  assert.is(chat.score, 1);
  assert.ok(chat.interval.low < 0.9 && chat.interval.high === 1, JSON.stringify(chat.interval)); // reaches the observed 100%
  // Every interval holds its own score.
  for (const x of [...s.sections, s.overall!]) assert.ok(x.interval.low <= x.score && x.score <= x.interval.high, JSON.stringify(x));
  assert.ok(s.overall!.interval.low < s.overall!.score && s.overall!.interval.high > s.overall!.score);
  assert.equal(summarize(recs).overall!.interval, s.overall!.interval); // seeded: the same records, the same interval
  const md = summaryMarkdown(s);
  assert.not.match(md, /\(85\.7 ?– ?85\.7\)|\(100\.0–100\.0\)/);
  // One subset of 40 at 70%: the posterior draws and Wilson agree within a point.
  const { weightedMeanInterval } = await import("../../lib/eval/intervals.js");
  const w = wilson(0.7, 40), d = weightedMeanInterval([{ tally: { items: 40, scoreSum: 28 }, weight: 1 }]);
  close(w.low, d.low, 0.012);
  close(w.high, d.high, 0.012);
});

test("a RewardBench 2 file with every subset: its subsets, Ties' accuracy parts, no RewardBench 2 score, no RewardBench 1 rows", async () => {
  const bo4 = (subset: string, chosen: string, rejected: string[]) => ({ prompt: "q", chosen: [chosen], rejected, subset });
  const { judge, recs } = await run([
    bo4("Factuality", "good", ["bad", "bad", "bad"]), // 1
    bo4("Factuality", "meh", ["bad", "meh", "meh"]), // two ties, no loss: 1/3
    bo4("Precise IF", "meh", ["bad", "meh", "bad"]), // one tie: 1/2
    bo4("Math", "meh", ["bad", "good", "bad"]), // a loss: 0
    bo4("Safety", "good", ["meh", "meh", "bad"]), // 1
    bo4("Focus", "bad", ["good", "good", "good"]), // 0
    { id: "ref:7", prompt: "Name a colour of the rainbow", chosen: ["good red"], rejected: ["bad pink", "bad brown"], subset: "Ties" }, // accurate
    { id: "tied:7", prompt: "Name a colour of the rainbow", chosen: ["good red", "good blue", "meh green"], rejected: ["bad pink", "meh brown"], subset: "Ties" }, // meh vs meh: not accurate
    { id: "ref:8", prompt: "A prime below 10", chosen: ["good 7"], rejected: ["meh 9"], subset: "Ties" }, // accurate
    { id: "tied:8", prompt: "A prime below 10", chosen: ["good 7", "good 5"], rejected: ["bad 9", "bad 4"], subset: "Ties" }, // accurate
  ]);
  assert.equal(recs.map((r) => r.score), [1, 1 / 3, 1 / 2, 0, 1, 0, 1, 0, 1, 1]);
  // Several correct answers: every chosen against every rejected (3 x 2), each comparison naming its chosen answer.
  assert.equal(recs[7].comparisons.map((c) => [c.chosen, c.rejected]), [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]]);
  assert.equal(recs[7].ties, { sample: "tied", prompt: "7" });
  assert.is(recs[7].format, "several-correct");
  assert.is(judge.calls.length, 6 * 3 + 2 + 6 + 1 + 4);
  const s = summarize(recs);
  assert.equal(s.subsets.map((x) => [x.subset, x.benchmark, x.section]), [["Factuality", "RewardBench 2", null], ["Precise IF", "RewardBench 2", null], ["Math", "RewardBench 2", null], ["Safety", "RewardBench 2", null], ["Focus", "RewardBench 2", null]]);
  close(s.subsets[0].accuracy, (1 + 1 / 3) / 2);
  assert.equal(s.sections, []);
  assert.is(s.overall, null);
  const r2 = s.rewardBench2!;
  assert.is(r2.score, null);
  close(r2.meanOfScored!.score, ((1 + 1 / 3) / 2 + 0.5 + 0 + 1 + 0) / 5);
  assert.is(r2.meanOfScored!.subsets, 5);
  assert.equal([r2.ties!.ref.prompts, r2.ties!.ref.accuracy, r2.ties!.tied.prompts, r2.ties!.tied.accuracy], [2, 1, 2, 0.5]);
  assert.is(r2.ties!.score, null);
  const md = summaryMarkdown(s, "m.gguf");
  assert.match(md, /\| Factuality \| RewardBench 2 \| 2 \| 66\.7 \|/);
  assert.match(md, /\| Ties \| RewardBench 2 \| 4 \| no score \|/);
  assert.match(md, /Mean of the 5 best-of-4 subset\(s\) present \(not RewardBench 2's score\): 43\.3 \(/);
  assert.match(md, /Ties, accuracy parts only: ref prompts 100\.0% of 2 .*, tied prompts 50\.0% of 2/);
  assert.match(md, /No RewardBench 2 score: it averages all six subsets, and Ties has no score from a pairwise judge/);
  assert.not.match(md, /not RewardBench\)|### RewardBench sections|RRM-7B \(paper\)/);
  // The HTML report says the same, and records the run's settings it is given.
  const html = evalReportHtml(s, { title: "t", model: "m.gguf", run: { command: "eval", version: "0.1.0", model: "m.gguf", settings: { judge: { votes: 1 } } } });
  assert.match(html, /<h2>RewardBench 2<\/h2><table id="rewardbench2">/);
  assert.match(html, /<table id="ties-parts">.*ref \(one correct answer\)<\/td><td>2<\/td><td>100\.0<\/td>/);
  assert.match(html, /No RewardBench 2 score: it averages all six subsets/);
  assert.not.match(html, /<h2>RewardBench sections<\/h2>/);
  assert.match(html, /<td>judge\.votes<\/td><td>1<\/td>/);
});

test("best-of-n (RewardBench 2): chosen against every rejected; 0 on a loss, else 1 / (1 + ties)", async () => {
  const { judge, recs } = await run([
    { prompt: "q", chosen: ["good"], rejected: ["bad1", "bad2", "bad3"], subset: "Focus" }, // wins all: 1
    { prompt: "q", chosen: ["meh"], rejected: ["bad", "meh", "bad"], subset: "Focus" }, // a tie, no loss: 1/2
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
