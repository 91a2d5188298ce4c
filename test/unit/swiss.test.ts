import { test } from "uvu";
import * as assert from "uvu/assert";
import { defaultSwissRounds, maxSwissRounds, swiss, swissPairing } from "../../lib/tournament/swiss.js";
import { rankCandidates } from "../../lib/tournament/rank.js";
import { roundOf, type PlayMatch } from "../../lib/tournament/types.js";
import { SimulatedJudge, simulatedCandidates, topKRecall, trueOrder } from "../../lib/bench/simulated-judge.js";
import { ScriptedJudge } from "../helpers/scripted-judge.js";
import { rankReportHtml } from "../../lib/report/rank-report.js";

// Higher index wins every match.
const byIndex: PlayMatch = async (i, j) => ({ winner: i > j ? "a" : "b", votes: { a: i > j ? 1 : 0, b: i > j ? 0 : 1, invalid: 0 } });

test("default rounds: ceil(log2 n) + 1, at most a round-robin's worth", () => {
  assert.equal([1, 2, 3, 4, 5, 8, 9, 16, 32, 128].map(defaultSwissRounds), [0, 1, 3, 3, 4, 4, 5, 5, 6, 8]);
  assert.equal([2, 3, 4, 7].map(maxSwissRounds), [1, 3, 3, 7]);
});

test("Swiss for n = 2..20: no rematches, byes rotate, one match per candidate per round", async () => {
  for (let n = 2; n <= 20; n++) {
    const rounds = defaultSwissRounds(n);
    const r = await swiss(n, roundOf(byIndex), 100 + n, rounds);
    assert.is(r.rounds, rounds, `n=${n} rounds`);
    assert.is(r.matches.length, rounds * Math.floor(n / 2), `n=${n} matches`);
    const keys = r.matches.map((m) => `${Math.min(m.a, m.b)},${Math.max(m.a, m.b)}`);
    assert.is(new Set(keys).size, keys.length, `n=${n}: no rematch`);
    for (let k = 1; k <= r.rounds; k++) {
      const players = r.matches.filter((m) => m.round === k).flatMap((m) => [m.a, m.b]);
      if (r.byes[k - 1] !== null) players.push(r.byes[k - 1]!);
      assert.is(new Set(players).size, n, `n=${n} round ${k}: everyone once`);
    }
    const byes = r.byes.filter((b) => b !== null);
    assert.is(byes.length, n % 2 ? rounds : 0);
    assert.is(new Set(byes).size, byes.length, `n=${n}: nobody gets two byes`);
    // Points: 1 per win and per bye.
    const total = r.standings.reduce((s, x) => s + x.score, 0);
    assert.is(total, r.matches.length + byes.length);
    // A judge that always prefers the higher index: the best of all finishes first.
    assert.is(r.ranking[0], n - 1, `n=${n} winner`);
    assert.equal([...r.ranking].sort((x, y) => x - y), [...Array(n).keys()]);
  }
});

test("the round's pairs meet equal scores first and every round goes to the engine as one batch", async () => {
  const batches: number[] = [];
  const r = await swiss(16, async (pairs, _round, done) => {
    batches.push(pairs.length);
    return Promise.all(pairs.map(async (p) => { done(); return byIndex(p.a, p.b, p.seed, 0); }));
  }, 4, 5);
  assert.equal(batches, [8, 8, 8, 8, 8]);
  // After round 1 (8 winners at 1 point, 8 losers at 0), round 2 pairs winners with winners.
  const winners1 = new Set(r.matches.filter((m) => m.round === 1).map((m) => m.winner));
  for (const m of r.matches.filter((x) => x.round === 2)) assert.is(winners1.has(m.a), winners1.has(m.b));
  // A perfect order judge: after log2(16) + 1 rounds, the top 3 are exact.
  assert.equal(r.ranking.slice(0, 3), [15, 14, 13]);
});

test("pairing backtracks instead of forcing a rematch, and says when none is possible", () => {
  // 0-1 and 2-3 played: greedy 0-1 is banned, so 0-2, 1-3 (or 0-3, 1-2).
  const played = new Set(["0,1", "1,0", "2,3", "3,2"]);
  const p = swissPairing([0, 1, 2, 3], (i, j) => played.has(`${i},${j}`), [0, 0, 0, 0])!;
  assert.equal(p.pairs, [[0, 2], [1, 3]]);
  // Everyone played everyone: no pairing.
  assert.is(swissPairing([0, 1], () => true, [0, 0]), null);
  // Odd: the bye goes to the bottom of the standings without a bye.
  const odd = swissPairing([4, 3, 2, 1, 0], () => false, [1, 0, 0, 0, 0])!; // 0 had one
  assert.is(odd.bye, 1);
});

test("a draw is half a point each, ties break by Buchholz, then Bradley-Terry", async () => {
  const r = await swiss(4, roundOf(async () => ({ winner: null, votes: { a: 1, b: 1, invalid: 0 } })), 3, 3);
  assert.ok(r.standings.every((s) => s.score === 1.5 && s.draws === 3));
  assert.equal(r.ranking, [0, 1, 2, 3], "all equal: the lower index");
});

test("rankCandidates swiss with the scripted judge: good first, bad last, stats and rounds", async () => {
  const judge = new ScriptedJudge();
  const candidates = ["bad 1", "ok 1", "good", "ok 2", "ok 3", "bad 2", "ok 4"];
  const r = await rankCandidates(judge, "q", candidates, { strategy: "swiss", votes: 2, seed: 9 });
  assert.is(r.strategy, "swiss");
  assert.is(r.winner, 2);
  assert.is(r.rounds, defaultSwissRounds(7));
  assert.is(r.matches.length, r.rounds * 3);
  assert.is(judge.calls.length, r.matches.length);
  assert.is(r.stats.judgments, 2 * r.matches.length);
  assert.ok(candidates[r.ranking[r.ranking.length - 1].index].startsWith("bad"));
  assert.ok(r.ranking.every((c) => typeof c.score === "number" && typeof c.buchholz === "number"));
  assert.is(r.byes!.length, r.rounds);
  const again = await rankCandidates(new ScriptedJudge(), "q", candidates, { strategy: "swiss", votes: 2, seed: 9, rounds: 2 });
  assert.is(again.rounds, 2);
  await rankCandidates(judge, "q", candidates, { strategy: "knockout", rounds: 2 }).then(() => assert.unreachable(), (e) => assert.match(String(e), /rounds applies to the swiss/));
  await rankCandidates(judge, "q", candidates, { strategy: "swiss", rounds: 8 }).then(() => assert.unreachable(), (e) => assert.match(String(e), /options\.rounds/));
});

test("Swiss puts the true best in its top 3 far more often than chance, at a fraction of a round-robin", async () => {
  const n = 16, seeds = 150;
  let inTop3 = 0, recall = 0, judgments = 0;
  for (let s = 0; s < seeds; s++) {
    const { strengths, texts } = simulatedCandidates(n, 5000 + s);
    const r = await rankCandidates(new SimulatedJudge(strengths, texts, s), "q", texts, { strategy: "swiss", seed: s });
    const order = r.ranking.map((c) => c.index);
    inTop3 += +order.slice(0, 3).includes(trueOrder(strengths)[0]);
    recall += topKRecall(order, strengths, 3);
    judgments += r.stats.judgments;
  }
  assert.ok(judgments / seeds <= 40 + 1e-9, "5 rounds x 8 matches x 1 vote");
  assert.ok(judgments / seeds < (n * (n - 1)) / 2 / 2, "under half a round-robin's judgments");
  // Chance is 3/16 = 0.19; the simulator's Swiss lands near 0.7 (bench/strategies.ts).
  assert.ok(inTop3 / seeds > 0.55, `best in top 3: ${inTop3 / seeds}`);
  assert.ok(recall / seeds > 0.45, `top-3 recall: ${recall / seeds}`);
});

test("the HTML report shows Swiss standings, byes and where a budget went", async () => {
  const { strengths, texts } = simulatedCandidates(7, 1);
  const r = await rankCandidates(new SimulatedJudge(strengths, texts, 1), "q", texts, { strategy: "swiss", budget: 30, seed: 2 });
  const html = rankReportHtml([{ line: 1, ...r }], { title: "t", model: "m" });
  assert.match(html, /Buchholz/);
  assert.match(html, new RegExp(`bye: candidate ${r.byes![0]}`));
  assert.match(html, new RegExp(`Budget: ${r.budget!.spent} of 30 judgments`));
  assert.is((html.match(/<h3>Round /g) ?? []).length, r.rounds);
});

test.run();
