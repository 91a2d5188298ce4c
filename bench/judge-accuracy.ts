// Accuracy of the trained arithmetic judge (issue 32; models/arithmetic-judge.md) on held-out
// problems (lib/train/arithmetic.ts: heldOut), through the public API at the RRM defaults
// (temperature 0.6, top_p 1, a seeded random position per comparison): 1 vote per problem kind;
// votes 1/3/8/16 and adaptive votes; thinking budgets from 1 token (the forced verdict alone) to
// unbounded; each order; knockout, Swiss and ELO over 8 candidates of which one is right.
// Intervals: Wilson 95%. An invalid vote (no verdict) counts as wrong.
//   npx tsx bench/judge-accuracy.ts [--model PATH] [--pairs 200] [--sets 50] [--seed 7] [--threads 2]
//     [--json bench/results/judge-accuracy.json] [--svg bench/results/judge-accuracy.svg]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createEngine } from "../lib/engine.js";
import { loadModel } from "../lib/model.js";
import { SeededRandom } from "../lib/random.js";
import { createJudge } from "../lib/rrm/judge.js";
import type { CompareOptions } from "../lib/rrm/types.js";
import type { Strategy } from "../lib/tournament/rank.js";
import { drawCandidateSet, heldOut, KINDS, readAnswers, wroteResult, type Kind, type JudgingItem } from "../lib/train/arithmetic.js";
import { drawSplitItem } from "../lib/train/dataset.js";
import { trainedJudgeModel } from "../lib/train/trained-model.js";
import { lineChart } from "./lib/svg-chart.js";
import { machineLine, percentWithInterval, table } from "./lib/machine.js";

const { values } = parseArgs({ options: { model: { type: "string" }, pairs: { type: "string" }, sets: { type: "string" }, seed: { type: "string" }, threads: { type: "string" }, json: { type: "string" }, svg: { type: "string" } } });
const pairs = Number(values.pairs ?? 200), sets = Number(values.sets ?? 50), seed = Number(values.seed ?? 7);
const path = values.model ?? trainedJudgeModel();
const model = await loadModel(path);
const engine = createEngine(model, { contextSize: 65536, maxSequences: 64, threads: values.threads ? Number(values.threads) : undefined });
const judge = createJudge(engine);
// The trained judgments end at EOS after 40-120 tokens; the cap (256) bounds a runaway, which
// then counts as an invalid vote (length-limit).
const MAX_TOKENS = 256;
const t0 = Date.now();
const out: Record<string, unknown> = { model: path, machine: machineLine(), seed, pairs, sets };

const items = (kind: Kind, n: number, s: number) => { const r = new SeededRandom(s); return Array.from({ length: n }, () => drawSplitItem(r, kind, true)); };

interface Score { right: number; n: number; invalid: number; judgments: number; tokens: number; pRight: number[]; computed: number; copied: number }
/** Judges every item (all in flight together; the engine batches them); a = the right answer. */
async function score(list: JudgingItem[], o: CompareOptions, rightFirst?: boolean): Promise<Score> {
  const s: Score = { right: 0, n: list.length, invalid: 0, judgments: 0, tokens: 0, pRight: [], computed: 0, copied: 0 };
  await Promise.all(list.map(async (it, i) => {
    const swap = rightFirst === undefined ? o.swap : "none";
    const [a, b] = rightFirst === false ? [it.wrong, it.right] : [it.right, it.wrong];
    const r = await judge.compare({ query: it.query, a, b }, { maxTokens: MAX_TOKENS, seed: seed * 7919 + i, ...o, swap });
    const winner = rightFirst === false ? (r.winner === "b" ? "a" : r.winner === "a" ? "b" : r.winner) : r.winner;
    if (winner === "a") s.right++;
    s.invalid += r.votes.invalid;
    s.judgments += r.votes.a + r.votes.b + r.votes.invalid;
    s.tokens += r.stats.generatedTokens;
    if (r.probabilityA !== undefined) s.pRight.push(rightFirst === false ? 1 - r.probabilityA : r.probabilityA);
    // What the first vote's reasoning got right on the way: the result line, the shown answers.
    const first = r.samples[0];
    if (first) {
      if (wroteResult(it.problem, first.text)) s.computed++;
      const [ra, rb] = rightFirst === false ? [it.wrongValue, it.rightValue] : [it.rightValue, it.wrongValue];
      if (readAnswers(first.swapped ? [rb, ra] : [ra, rb], first.text)) s.copied++;
    }
  }));
  return s;
}
const row = (label: string, s: Score) => [label, s.n, percentWithInterval(s.right, s.n), s.invalid, (s.judgments / s.n).toFixed(2), Math.round(s.tokens / s.judgments)];
const HEAD = ["setting", "pairs", "accuracy % (95% CI)", "invalid votes", "judgments/pair", "tokens/judgment"];
const log = (s: string) => console.log(s);

log(`# Trained arithmetic judge: accuracy on held-out problems\n\n${out.machine}\nmodel: ${path}\n`);
// 1. One vote at the defaults, per kind.
const perKind: (string | number)[][] = [];
const kindScores: Record<string, Score> = {};
for (const kind of KINDS) {
  const s = await score(items(kind, pairs, seed + KINDS.indexOf(kind)), {});
  kindScores[kind] = s;
  perKind.push(row(kind, s));
}
log(`## 1 vote at the RRM defaults (temperature 0.6, random order)\n\n${table(HEAD, perKind)}\n`);
// The way there: how often the vote's reasoning wrote the true result (`37+48=85`) and named both
// shown answers in its check lines (`Assistant 1: 85, ...`).
log(`### What the reasoning got right (1 vote)\n\n${table(["kind", "pairs", "result line right % (95% CI)", "both answers read % (95% CI)"], KINDS.map((k) => [k, kindScores[k].n, percentWithInterval(kindScores[k].computed, kindScores[k].n), percentWithInterval(kindScores[k].copied, kindScores[k].n)]))}\n`);
out.perKind = kindScores;

// 2-digit problems (sums and differences) for the curves.
const two = [...items("add2", pairs / 2, seed + 100), ...items("sub2", pairs / 2, seed + 101)];

const voteRows: (string | number)[][] = [];
const voteCurve: [number, number][] = [];
for (const votes of [1, 3, 8, 16]) {
  const s = await score(two, { votes });
  voteRows.push(row(`${votes} votes`, s));
  voteCurve.push([votes, s.right / s.n]);
}
const adaptive = await score(two, { votes: { max: 16, confidence: 0.9 } });
voteRows.push(row("adaptive (max 16, 0.9)", adaptive));
log(`## Votes (2-digit sums and differences; early stop on)\n\n${table(HEAD, voteRows)}\n`);
out.votes = { curve: voteCurve, adaptive };

const budgetRows: (string | number)[][] = [];
const budgetCurve: [number, number][] = [];
for (const budget of [1, 4, 16, 32, 64, undefined]) {
  const s = await score(two, { thinkingBudget: budget });
  const p = s.pRight.length ? (s.pRight.reduce((x, y) => x + y, 0) / s.pRight.length).toFixed(3) : "-";
  budgetRows.push([...row(budget === undefined ? "unbounded" : `budget ${budget}`, s), p]);
  budgetCurve.push([budget ?? 128, s.right / s.n]);
}
log(`## Thinking budget (1 vote; budget 1 = the forced verdict alone)\n\n${table([...HEAD, "mean P(right) of forced votes"], budgetRows)}\n`);
out.budgets = budgetCurve;

const first = await score(two, {}, true), second = await score(two, {}, false);
const both = await score(two, { votes: 2, swap: "alternate", earlyStop: false });
log(`## Position (1 vote each order; both: 2 votes, one per order, ties count as wrong)\n\n${table(HEAD, [row("right answer shown first", first), row("right answer shown second", second), row("both orders", both)])}\n`);
out.positions = { first, second, both };

// 3. Ranking 8 candidates, one right.
const rankRows: (string | number)[][] = [];
for (const [label, strategy, votes] of [["knockout, 1 vote", "knockout", 1], ["knockout, 3 votes", "knockout", 3], ["swiss, 1 vote", "swiss", 1], ["elo, 1 vote", "elo", 1]] as [string, Strategy, number][]) {
  const r = new SeededRandom(seed + 500);
  const tasks = Array.from({ length: sets }, () => drawCandidateSet(r, r.coin() ? "add2" : "sub2", 8, heldOut));
  let right = 0, judgments = 0;
  await Promise.all(tasks.map(async (t, i) => {
    const res = await judge.rank(t.query, t.candidates, { strategy, votes, maxTokens: MAX_TOKENS, seed: seed + i });
    if (res.winner === t.right) right++;
    judgments += res.stats.judgments;
  }));
  rankRows.push([label, sets, percentWithInterval(right, sets), (judgments / sets).toFixed(1)]);
}
log(`## Best of 8 (one right answer, seven plausible wrong ones; 2-digit)\n\n${table(["strategy", "sets", "top-1 accuracy % (95% CI)", "judgments/set"], rankRows)}\n`);
out.ranking = rankRows;

log(`wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (values.json) writeFileSync(values.json, JSON.stringify(out, null, 2) + "\n");
if (values.svg) writeFileSync(values.svg, lineChart("Trained arithmetic judge, held-out 2-digit pairs", [
  { name: "accuracy vs votes", points: voteCurve },
  { name: "accuracy vs thinking budget (tokens; 128 = unbounded)", points: budgetCurve },
]));
engine.dispose();
model.dispose();
