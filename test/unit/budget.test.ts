import { test } from "uvu";
import * as assert from "uvu/assert";
import { JudgmentBudget, nextWaves } from "../../lib/tournament/budget.js";
import { knockoutShape, rankCandidates, type RankOptions } from "../../lib/tournament/rank.js";
import { SimulatedJudge, simulatedCandidates, trueOrder } from "../../lib/bench/simulated-judge.js";
import type { CompareInput, CompareOptions, CompareResult, PairJudge } from "../../lib/rrm/types.js";
import { SeededRandom } from "../../lib/random.js";
import { ScriptedJudge } from "../helpers/scripted-judge.js";

const count = (a: number, b: number, invalid = 0) => ({ a, b, invalid, cancelled: 0 });

test("knockout shape: first-round byes, then halving; weights double per round", () => {
  assert.equal(knockoutShape(16).map((r) => r.matches), [8, 4, 2, 1]);
  assert.equal(knockoutShape(11).map((r) => r.matches), [3, 4, 2, 1]);
  assert.equal(knockoutShape(16).map((r) => r.weight), [1, 2, 4, 8]);
  assert.equal(knockoutShape(1), []);
});

test("the ledger: each round its share, one judgment owed to every later match", () => {
  const b = new JudgmentBudget(45, knockoutShape(16), { maxVotes: 15, confidence: 0.9, wave: 2 });
  assert.is(JudgmentBudget.minimum(knockoutShape(16)), 15);
  const r1 = b.openRound(1, 8);
  // 30 spare judgments, rounds weigh 8, 8, 8, 8 in all: round 1 gets 8 + 30/4.
  assert.is(r1.share, 8 + Math.floor(30 / 4));
  b.charge(r1, 40); // a judge that overspent cannot take the later rounds' due
  assert.is(b.available(r1), 0);
  const c = new JudgmentBudget(15, knockoutShape(16), { maxVotes: 15, confidence: 0.9, wave: 2 });
  const q1 = c.openRound(1, 8);
  assert.is(q1.share, 8);
  assert.is(c.firstWave(q1), 1, "the bare minimum: one vote per match");
});

test("next waves: the closest matches first, within what is available and each match's cap", () => {
  const counts = [count(2, 0), count(1, 1), count(3, 0), count(2, 1), count(0, 0, 2)];
  // 3-0 is settled at 0.9; 1-1 and 0-0 are the least settled, then 2-1, then 2-0.
  assert.equal(nextWaves(counts, 4, 2, 15, 0.9), [[1, 2], [4, 2]]);
  assert.equal(nextWaves(counts, 5, 2, 15, 0.9), [[1, 2], [3, 1], [4, 2]]);
  assert.equal(nextWaves(counts, 100, 2, 15, 0.9).map(([k]) => k), [0, 1, 3, 4]);
  assert.equal(nextWaves(counts, 100, 2, 3, 0.9).map(([k, s]) => [k, s]), [[1, 1], [4, 1]], "cap 3: 2-0 is decided, 2-1 is at the cap, the rest get 1");
  assert.equal(nextWaves(counts, 0, 2, 15, 0.9), []);
});

// A simulated judge whose replies arrive in random order: a budget must not depend on timing.
class JitteryJudge implements PairJudge {
  #rng: SeededRandom;
  constructor(readonly inner: PairJudge, seed: number) { this.#rng = new SeededRandom(seed); }
  async compare(input: CompareInput, options?: CompareOptions): Promise<CompareResult> {
    const r = await this.inner.compare(input, options);
    await new Promise((res) => setTimeout(res, this.#rng.int(3)));
    return r;
  }
}

test("a budget is never exceeded, and the record says where it went", async () => {
  for (const [strategy, n] of [["knockout", 13], ["knockout", 32], ["swiss", 12], ["swiss", 9], ["elo", 7]] as const) {
    for (let s = 0; s < 6; s++) {
      const { strengths, texts } = simulatedCandidates(n, 300 + s);
      const least = strategy === "knockout" ? n - 1 : strategy === "elo" ? (n * (n - 1)) / 2 : Math.ceil(Math.log2(n) + 1) * Math.floor(n / 2);
      const budget = least + s * 7;
      const judge = new SimulatedJudge(strengths, texts, s);
      const r = await rankCandidates(judge, "q", texts, { strategy, budget, seed: s });
      const label = `${strategy} n=${n} budget ${budget}`;
      assert.ok(r.stats.judgments <= budget, `${label}: spent ${r.stats.judgments}`);
      assert.is(judge.judgments, r.stats.judgments, `${label}: every judgment counted`);
      assert.is(r.budget!.spent, r.stats.judgments);
      assert.is(r.budget!.rounds.reduce((t, x) => t + x.spent, 0), r.budget!.spent);
      assert.is(r.budget!.rounds.length, r.rounds);
      assert.ok(r.budget!.rounds.every((x) => x.spent <= x.share), label);
      const perMatch = r.matches.map((m) => m.votes.a + m.votes.b + m.votes.invalid);
      assert.is(perMatch.reduce((t, x) => t + x, 0), r.stats.judgments);
      assert.ok(perMatch.every((x) => x >= 1 && x <= 15), `${label}: 1..15 per match`);
    }
  }
  await rankCandidates(new ScriptedJudge(), "q", ["a", "b", "c", "d"], { budget: 2 }).then(() => assert.unreachable(), (e) => assert.match(String(e), /at least 3 judgments/));
});

test("a budget spends the same way whatever order the judge's replies come back in", async () => {
  const { strengths, texts } = simulatedCandidates(16, 77);
  const opts: RankOptions = { budget: 40, seed: 5 };
  const a = await rankCandidates(new JitteryJudge(new SimulatedJudge(strengths, texts, 1), 1), "q", texts, opts);
  const b = await rankCandidates(new JitteryJudge(new SimulatedJudge(strengths, texts, 1), 2), "q", texts, opts);
  assert.equal(a.matches, b.matches);
  assert.equal(a.budget, b.budget);
  assert.ok(a.matches.some((m) => (m.waves ?? 0) > 1), "some match took more than one wave");
});

test("defaults unchanged: fixed votes, no waves, no budget record", async () => {
  const judge = new ScriptedJudge();
  const r = await rankCandidates(judge, "q", ["ok", "good", "bad", "ok 2"], { votes: 3, seed: 1 });
  assert.is(judge.calls.length, 3);
  assert.ok(judge.calls.every((c) => c.options.votes === 3 && c.options.earlyStop === undefined));
  assert.ok(r.matches.every((m) => m.waves === undefined));
  assert.is(r.budget, undefined);
  assert.is(r.winner, 1);
});

// The check: held-out simulated truths, the public rankCandidates, a 3-vote knockout's
// judgments as the budget. Seeds 20000+ are not the ones the weights were tuned on (1000+).
test("at a 3-vote knockout's judgments, a budgeted knockout finds the true best more often", async () => {
  for (const n of [32]) {
    const seeds = 400;
    let knockout = 0, budgeted = 0, spentK = 0, spentB = 0;
    for (let s = 0; s < seeds; s++) {
      const { strengths, texts } = simulatedCandidates(n, 20000 + s);
      const best = trueOrder(strengths)[0];
      const k = await rankCandidates(new SimulatedJudge(strengths, texts, 900 + s), "q", texts, { votes: 3, seed: s });
      const b = await rankCandidates(new SimulatedJudge(strengths, texts, 900 + s), "q", texts, { budget: k.stats.judgments, seed: s });
      knockout += +(k.winner === best);
      budgeted += +(b.winner === best);
      spentK += k.stats.judgments;
      spentB += b.stats.judgments;
    }
    assert.ok(spentB <= spentK);
    // bench/strategies.ts measures about +8 points at n = 32 (and 0-2 at n = 16, not asserted); a
    // test with fewer seeds asks for a clear gain only (the paired difference's standard error
    // here is about 2 points).
    assert.ok(budgeted - knockout >= 0.02 * seeds, `n=${n}: knockout ${knockout / seeds}, budgeted ${budgeted / seeds}`);
  }
});

test.run();
