import { test } from "uvu";
import * as assert from "uvu/assert";
import { adaptiveCompare, posteriorA, settledSide, stopReason } from "../../lib/rrm/adaptive-votes.js";
import { SimulatedJudge } from "../../lib/bench/simulated-judge.js";
import type { CompareInput, CompareOptions, CompareResult, JudgeSample, PairJudge } from "../../lib/rrm/types.js";
import { SeededRandom } from "../../lib/random.js";

const count = (a: number, b: number, invalid = 0) => ({ a, b, invalid, cancelled: 0 });

// The posterior written out the slow way: integrate the Beta(a+1, b+1) density over (1/2, 1).
function numericPosterior(a: number, b: number) {
  const steps = 20000;
  const logd = (p: number) => a * Math.log(p) + b * Math.log(1 - p);
  const peak = logd(Math.min(1 - 1e-9, Math.max(1e-9, a / Math.max(1, a + b)))); // scale: no underflow
  let above = 0, all = 0;
  for (let k = 0; k < steps; k++) {
    const p = (k + 0.5) / steps;
    const d = Math.exp(logd(p) - peak);
    all += d;
    if (p > 0.5) above += d;
  }
  return above / all;
}

test("the posterior equals the Beta integral, and is symmetric", () => {
  for (const [a, b] of [[0, 0], [1, 0], [3, 0], [4, 1], [5, 1], [6, 2], [10, 7], [2, 9], [30, 20]]) {
    assert.ok(Math.abs(posteriorA(a, b) - numericPosterior(a, b)) < 1e-4, `${a}-${b}: ${posteriorA(a, b)} vs ${numericPosterior(a, b)}`);
    assert.ok(Math.abs(posteriorA(a, b) + posteriorA(b, a) - 1) < 1e-12, `${a}-${b} symmetric`);
  }
  assert.is(posteriorA(0, 0), 0.5);
  assert.ok(Math.abs(posteriorA(600, 500) - numericPosterior(600, 500)) < 1e-3, "large counts do not underflow");
});

test("settled at 0.9: 3-0 and 5-1 yes, 2-0 and 4-1 not yet; invalid votes say nothing", () => {
  assert.is(settledSide(count(3, 0), 0.9), "a");
  assert.is(settledSide(count(1, 5), 0.9), "b");
  assert.is(settledSide(count(2, 0), 0.9), null);
  assert.is(settledSide(count(4, 1), 0.9), null);
  assert.is(settledSide(count(2, 0), 0.8), "a");
  assert.is(stopReason(count(0, 0, 5), 9, 0.9), null);
  assert.is(stopReason(count(1, 1, 7), 9, 0.9), "max");
  // Exact early stop: 5 of 9 is a majority whatever the rest say, even unsettled (here at 0.999).
  assert.is(stopReason(count(5, 3), 9, 0.999), "decided");
  assert.is(stopReason(count(3, 0), 9, 0.9), "settled");
});

// A judge with a fixed share of votes for "a" (before positions), recording each wave's request.
class BiasedJudge implements PairJudge {
  calls: { input: CompareInput; options: CompareOptions }[] = [];
  constructor(readonly pA: number, readonly seed = 1, readonly firstBias = 0) {}
  async compare(input: CompareInput, options: CompareOptions = {}): Promise<CompareResult> {
    this.calls.push({ input, options });
    const n = Number(options.votes ?? 1);
    const rng = new SeededRandom((this.seed ^ (options.seed ?? 0)) >>> 0);
    const samples: JudgeSample[] = [];
    const c = { a: 0, b: 0, invalid: 0, cancelled: 0 };
    for (let k = 0; k < n; k++) {
      const swapped = options.swap === "alternate" ? k >= Math.ceil(n / 2) : false;
      // "x" is the better text; a first-position bias pushes toward whichever is shown first.
      const pInputA = input.a === "x" ? this.pA : 1 - this.pA;
      const pShownFirst = swapped ? 1 - pInputA : pInputA;
      const firstWins = rng.next() < Math.min(1, pShownFirst + this.firstBias);
      const verdict = firstWins !== swapped ? "a" : "b";
      c[verdict]++;
      samples.push({ text: "", verdict, swapped, tokens: 1, finishReason: "eos" });
    }
    return { winner: c.a > c.b ? "a" : c.b > c.a ? "b" : null, votes: c, samples, earlyStopped: false, stats: { promptTokens: 1, prefillTokensComputed: 1, generatedTokens: n, ms: 0 } };
  }
}

test("adaptive votes stop early on an obvious pair and run to max on a coin flip", async () => {
  const obvious = new BiasedJudge(1);
  const r = await adaptiveCompare(obvious, { query: "q", a: "x", b: "y" }, { seed: 3 }, { max: 15, confidence: 0.9 });
  assert.is(r.winner, "a");
  assert.equal(r.votes, count(4, 0), "two waves of two: 2-0 is 0.875 < 0.9, 4-0 settles");
  assert.is(r.waves, 2);
  assert.ok(r.earlyStopped);
  let total = 0;
  for (let s = 0; s < 20; s++) {
    const coin = await adaptiveCompare(new BiasedJudge(0.5, s), { query: "q", a: "x", b: "y" }, { seed: s }, { max: 9, confidence: 0.99 });
    const used = coin.votes.a + coin.votes.b + coin.votes.invalid;
    assert.ok(used <= 9, `never past max (${used})`);
    total += used;
  }
  assert.ok(total / 20 > 6, `a coin flip at 0.99 mostly runs long (mean ${total / 20})`);
});

test("waves alternate the order shown, so position bias cancels; verdicts map back", async () => {
  const judge = new BiasedJudge(0.5, 9, 0.5); // the first-shown answer always wins
  const r = await adaptiveCompare(judge, { query: "q", a: "x", b: "y" }, { seed: 1 }, { max: 8, confidence: 0.9, wave: 1 });
  assert.equal(r.votes, count(4, 4), "pure position bias is a draw");
  assert.is(r.winner, null);
  assert.equal(judge.calls.map((c) => c.input.a), ["x", "y", "x", "y", "x", "y", "x", "y"]);
  assert.equal(r.samples.map((s) => s.swapped), [false, true, false, true, false, true, false, true]);
  assert.ok(r.samples.every((s) => s.verdict === (s.swapped ? "b" : "a")), "each vote for the answer shown first");
  assert.ok(judge.calls.every((c) => c.options.earlyStop === false && c.options.swap === "alternate"));
});

test("adaptive votes repeat with a seed and differ with another", async () => {
  const run = (seed: number) => adaptiveCompare(new SimulatedJudge([0.3, 0], ["p", "q"], 5), { query: "q", a: "p", b: "q" }, { seed }, { max: 21, confidence: 0.95 });
  const a = await run(11), b = await run(11);
  assert.equal(a.votes, b.votes);
  assert.equal(a.samples, b.samples);
  const others = await Promise.all([12, 13, 14, 15, 16].map(run));
  assert.ok(others.some((o) => JSON.stringify(o.votes) !== JSON.stringify(a.votes)));
});

test("bad adaptive options are refused", async () => {
  const j = new BiasedJudge(1);
  for (const plan of [{ max: 0, confidence: 0.9 }, { max: 5, confidence: 0.5 }, { max: 5, confidence: 1 }, { max: 5, confidence: 0.9, wave: 6 }, { max: 5, confidence: 0.9, extra: 1 }]) {
    await adaptiveCompare(j, { query: "q", a: "x", b: "y" }, {}, plan as never).then(() => assert.unreachable(JSON.stringify(plan)), (e) => assert.match(String(e), /options\.votes/));
  }
});

test.run();
