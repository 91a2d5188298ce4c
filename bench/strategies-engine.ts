// The ranking strategies on the real engine (issue 19, BENCHMARKS.md "Ranking strategies"): a
// knockout of 3 votes, a Swiss of 1 vote and a knockout under a budget of the knockout's own
// judgments, on the tiny RRM-vocabulary test model (random weights: the verdicts are noise, the
// point is how the work reaches the engine) with a thinking budget. Per round: judgments, engine
// requests and samples in flight at once (the most at any moment: a round is one batch), and the
// prompt tokens the prefix cache reused (engine.stats(): promptTokensReused / promptTokensSubmitted).
// Each strategy gets a fresh engine, so no strategy reuses another's cached prefix.
// --trained: the same on the trained arithmetic judge (models/arithmetic-judge.md) over a held-out
// arithmetic question, one right answer among n, at the RRM defaults (no budget, temperature
// 0.6), and then each strategy's top-1 accuracy over --sets such questions (Wilson 95%).
//   npx tsx bench/strategies-engine.ts [--n 8] [--threads 2] [--thinking-budget 30] [--max-tokens 48] [--seed 1] [--trained [--sets 40]]
import { parseArgs } from "node:util";
import { createEngine, type Engine, type GenerateRequest } from "../lib/engine.js";
import { loadModel } from "../lib/model.js";
import { SeededRandom } from "../lib/random.js";
import { createJudge } from "../lib/rrm/judge.js";
import type { RankOptions, RankResult } from "../lib/tournament/rank.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";
import { drawCandidateSet, heldOut } from "../lib/train/arithmetic.js";
import { trainedJudgeModel } from "../lib/train/trained-model.js";
import { machineLine, percentWithInterval, table } from "./lib/machine.js";

const { values } = parseArgs({ options: { n: { type: "string" }, threads: { type: "string" }, "thinking-budget": { type: "string" }, "max-tokens": { type: "string" }, seed: { type: "string" }, trained: { type: "boolean" }, sets: { type: "string" } } });
const trained = values.trained === true, sets = Number(values.sets ?? 40);
const n = Number(values.n ?? 8), threads = Number(values.threads ?? 2), seed = Number(values.seed ?? 1);
const thinkingBudget = Number(values["thinking-budget"] ?? 30), maxTokens = Number(values["max-tokens"] ?? 48);

const WORDS = "the a model answer because water light energy value system result method data first second however therefore example shows which where when reason simple clear step point number large small".split(" ");
const text = (s: number, words: number) => { const r = new SeededRandom(s); return Array.from({ length: words }, () => WORDS[r.int(WORDS.length)]).join(" ") + "."; };
const arithmetic = (s: number) => drawCandidateSet(new SeededRandom(s), s % 2 ? "add2" : "sub2", n, heldOut);
const task = trained ? arithmetic(seed) : undefined;
const query = task ? task.query : "Question: " + text(seed, 40);
const candidates = task ? task.candidates : Array.from({ length: n }, (_, i) => `Answer ${i + 1}: ` + text(seed * 1000 + i, 24));

interface RoundStats { requests: number; samples: number; peakRequests: number; peakSamples: number; prompt: number; reused: number }
/** Counts the engine requests of each round (a round's compare() calls carry priority = round). */
function instrument(engine: Engine) {
  const rounds = new Map<number, RoundStats>();
  let live = 0, liveSamples = 0;
  const generate = engine.generate.bind(engine);
  engine.generate = (async (req: GenerateRequest) => {
    const round = req.priority ?? 0;
    const r = rounds.get(round) ?? { requests: 0, samples: 0, peakRequests: 0, peakSamples: 0, prompt: 0, reused: 0 };
    rounds.set(round, r);
    live++, liveSamples += req.n ?? 1;
    r.requests++, r.samples += req.n ?? 1;
    r.peakRequests = Math.max(r.peakRequests, live);
    r.peakSamples = Math.max(r.peakSamples, liveSamples);
    try {
      const res = await generate(req);
      r.prompt += res.stats.promptTokens;
      r.reused += res.stats.prefixTokensReused;
      return res;
    } finally {
      live--, liveSamples -= req.n ?? 1;
    }
  }) as Engine["generate"];
  return rounds;
}

const model = await loadModel(trained ? trainedJudgeModel() : makeTestModel({ shape: "tiny", type: "q8_0", vocabulary: "rrm" }));
const judgeOptions = trained ? { maxTokens: 512, seed } : { thinkingBudget, maxTokens, seed, temperature: 0.9 };

async function run(label: string, opts: RankOptions) {
  const engine = createEngine(model, { contextSize: 16384, maxSequences: 32, threads });
  const rounds = instrument(engine);
  const before = engine.stats();
  const t0 = performance.now();
  const r: RankResult = await createJudge(engine).rank(query, candidates, { ...judgeOptions, ...opts });
  const ms = performance.now() - t0;
  const after = engine.stats();
  engine.dispose();
  const perRound = [...rounds.entries()].sort((x, y) => x[0] - y[0]).map(([round, s]) => {
    const ms = r.matches.filter((m) => m.round === round);
    const judgments = ms.reduce((t, m) => t + m.votes.a + m.votes.b + m.votes.invalid, 0);
    return { round, matches: ms.length, judgments, ...s };
  });
  return {
    label, r, ms, perRound,
    submitted: after.promptTokensSubmitted - before.promptTokensSubmitted,
    computed: after.promptTokensComputed - before.promptTokensComputed,
    reused: after.promptTokensReused - before.promptTokensReused,
    generated: after.generatedTokens - before.generatedTokens,
  };
}

const knockout = await run("knockout, 3 votes", { votes: 3 });
const swiss = await run("swiss, 1 vote", { strategy: "swiss" });
const budgeted = await run(`knockout, budget ${knockout.r.stats.judgments} (the 3-vote knockout's judgments)`, { budget: knockout.r.stats.judgments });
const runs = [knockout, swiss, budgeted];

console.log(trained
  ? `### Ranking strategies on the engine: ${n} candidates, the trained arithmetic judge, RRM defaults (temperature 0.6, no budget), seed ${seed}\n`
  : `### Ranking strategies on the engine: ${n} candidates, tiny RRM test model, thinking budget ${thinkingBudget}, max tokens ${maxTokens}, temperature 0.9, seed ${seed}\n`);
console.log(table(["strategy", "round", "matches", "judgments", "engine requests", "most in flight (requests / samples)", "prompt tokens", "reused from prefix cache"],
  runs.flatMap((x) => x.perRound.map((p) => [x.label, p.round, p.matches, p.judgments, p.requests, `${p.peakRequests} / ${p.peakSamples}`, p.prompt, `${p.reused} (${((100 * p.reused) / Math.max(1, p.prompt)).toFixed(0)}%)`]))));
console.log("\n" + table(["strategy", "rounds", "matches", "judgments", "prompt tokens", "reused (engine.stats)", "computed", "generated tokens", "seconds"],
  runs.map((x) => [x.label, x.r.rounds, x.r.matches.length, x.r.stats.judgments, x.submitted, `${x.reused} (${((100 * x.reused) / Math.max(1, x.submitted)).toFixed(0)}%)`, x.computed, x.generated, (x.ms / 1000).toFixed(1)])));
if (budgeted.r.budget) console.log(`\nbudget: ${budgeted.r.budget.spent} of ${budgeted.r.budget.total} spent; by round (share/spent/extra waves): ${budgeted.r.budget.rounds.map((b) => `${b.round}: ${b.share}/${b.spent}/${b.extraWaves}`).join(", ")}`);
if (trained) {
  // Accuracy: each strategy over the same held-out questions, all of them in flight together.
  const tasks = Array.from({ length: sets }, (_, i) => arithmetic(seed + 1 + i));
  const rows: (string | number)[][] = [];
  for (const [label, opts] of [["knockout, 3 votes", { votes: 3 }], ["swiss, 1 vote", { strategy: "swiss" }], [`knockout, budget ${knockout.r.stats.judgments}`, { budget: knockout.r.stats.judgments }], ["elo, 1 vote", { strategy: "elo" }]] as [string, RankOptions][]) {
    const engine = createEngine(model, { contextSize: 65536, maxSequences: 64, threads });
    const judge = createJudge(engine);
    const res = await Promise.all(tasks.map((t, i) => judge.rank(t.query, t.candidates, { ...judgeOptions, seed: seed + i, ...opts })));
    engine.dispose();
    const right = res.filter((x, i) => x.winner === tasks[i].right).length;
    rows.push([label, sets, percentWithInterval(right, sets), (res.reduce((t, x) => t + x.stats.judgments, 0) / sets).toFixed(1)]);
  }
  console.log(`\n### Top-1 accuracy: ${sets} held-out questions, ${n} candidates, one right\n\n${table(["strategy", "questions", "top-1 % (95% CI)", "judgments/question"], rows)}`);
}
console.log(`\n${machineLine()}`);
model.dispose();
