import { test } from "uvu";
import * as assert from "uvu/assert";
import { knockout } from "../../lib/tournament/knockout.js";
import { onlineElo, rankByRating, type RatedMatch } from "../../lib/tournament/elo.js";
import { bootstrapIntervals, bradleyTerry } from "../../lib/tournament/bradley-terry.js";
import { SeededRandom } from "../../lib/random.js";
import type { MatchOutcome, PlayMatch } from "../../lib/tournament/types.js";

// A scripted judge: the higher "quality" wins; records every call.
function fakeJudge(quality: (i: number) => number, calls: [number, number][] = []): PlayMatch {
  return async (i, j) => {
    calls.push([i, j]);
    await new Promise((r) => setTimeout(r, 0));
    const winner = quality(i) === quality(j) ? null : quality(i) > quality(j) ? "a" : "b";
    return { winner, votes: { a: winner === "a" ? 1 : 0, b: winner === "b" ? 1 : 0, invalid: winner ? 0 : 1 } } as MatchOutcome;
  };
}

test("knockout tells the judge each match's round (the engine priority of its votes)", async () => {
  const rounds: number[] = [];
  const r = await knockout(8, async (i, j, _seed, round) => {
    rounds.push(round);
    return { winner: i > j ? "a" : "b", votes: { a: 1, b: 0, invalid: 0 } };
  }, 5);
  assert.equal(rounds, [1, 1, 1, 1, 2, 2, 3]);
  assert.equal(r.matches.map((m) => m.round), rounds);
});

test("knockout for n = 1..17: n-1 matches, ceil(log2 n) rounds, byes, the best wins", async () => {
  for (let n = 1; n <= 17; n++) {
    const calls: [number, number][] = [];
    const r = await knockout(n, fakeJudge((i) => i, calls), 42);
    assert.is(r.matches.length, n - 1, `n=${n} matches`);
    assert.is(calls.length, n - 1);
    assert.is(r.rounds, Math.ceil(Math.log2(n)), `n=${n} rounds`);
    assert.is(r.champion, n - 1, `n=${n} champion`);
    assert.is(new Set(r.ranking).size, n);
    // Every candidate plays at most once per round, and the first round has size - n byes.
    for (let round = 1; round <= r.rounds; round++) {
      const players = r.matches.filter((m) => m.round === round).flatMap((m) => [m.a, m.b]);
      assert.is(new Set(players).size, players.length);
    }
    if (n > 1) {
      const size = 2 ** Math.ceil(Math.log2(n));
      assert.is(r.bracket[0].filter((x) => x === null).length, size - n, `n=${n} byes`);
    }
  }
});

test("knockout: adjacent winners meet, and a round's matches run together", async () => {
  let inFlight = 0, peak = 0;
  const play: PlayMatch = async (i, j) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    return { winner: i < j ? "a" : "b", votes: { a: 1, b: 0, invalid: 0 } };
  };
  const r = await knockout(8, play, 3);
  assert.is(peak, 4);
  const r1 = r.bracket[0];
  const winnersR1 = [0, 2, 4, 6].map((k) => Math.min(r1[k]!, r1[k + 1]!));
  assert.equal(r.bracket[1], winnersR1);
});

test("knockout: seeds reproduce brackets; a tie goes to the probability, else a seeded coin", async () => {
  const a = await knockout(9, fakeJudge((i) => i), 7);
  const b = await knockout(9, fakeJudge((i) => i), 7);
  const c = await knockout(9, fakeJudge((i) => i), 8);
  assert.equal(a.bracket, b.bracket);
  assert.not.equal(a.bracket, c.bracket);
  const ties = await knockout(4, async () => ({ winner: null, votes: { a: 1, b: 1, invalid: 0 }, probabilityA: 0.8 }), 1);
  assert.ok(ties.matches.every((m) => m.tieBreak === "probability" && m.winner === m.a));
  const coins = await knockout(4, async () => ({ winner: null, votes: { a: 0, b: 0, invalid: 2 } }), 1);
  assert.ok(coins.matches.every((m) => m.tieBreak === "coin"));
  const coins2 = await knockout(4, async () => ({ winner: null, votes: { a: 0, b: 0, invalid: 2 } }), 1);
  assert.equal(coins.matches, coins2.matches);
});

// The reference computation of RRM.md §6, written out independently.
function referenceElo(n: number, matches: RatedMatch[], order: number[]) {
  const r = Array(n).fill(1000);
  for (const k of order) {
    const { a, b, scoreA } = matches[k];
    const ea = 1 / (1 + 10 ** ((r[b] - r[a]) / 400));
    const eb = 1 / (1 + 10 ** ((r[a] - r[b]) / 400));
    r[a] = r[a] + 4 * (scoreA - ea);
    r[b] = r[b] + 4 * (1 - scoreA - eb);
  }
  return r;
}

test("online Elo equals the reference on fixed match lists", () => {
  const matches: RatedMatch[] = [
    { a: 0, b: 1, scoreA: 1 }, { a: 0, b: 2, scoreA: 0 }, { a: 1, b: 2, scoreA: 0.5 },
    { a: 2, b: 3, scoreA: 1 }, { a: 0, b: 3, scoreA: 1 }, { a: 1, b: 3, scoreA: 0 },
  ];
  const seed = 99;
  const order = new SeededRandom(seed).shuffle([...matches.keys()]);
  const ours = onlineElo(4, matches, seed);
  const ref = referenceElo(4, matches, order);
  ours.forEach((x, i) => assert.ok(Math.abs(x - ref[i]) < 1e-9, `rating ${i}: ${x} vs ${ref[i]}`));
  assert.ok(Math.abs(ours.reduce((s, x) => s + x, 0) - 4000) < 1e-9, "Elo is zero-sum");
  // In order (no shuffle effect on a single match): 0 beats 1 once.
  assert.equal(onlineElo(2, [{ a: 0, b: 1, scoreA: 1 }], 1), [1002, 998]);
  assert.equal(rankByRating([1000, 1002, 1002, 990]), [1, 2, 0, 3]);
});

test("Bradley–Terry orders by strength and brackets it", () => {
  const matches: RatedMatch[] = [];
  for (let rep = 0; rep < 5; rep++) for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) matches.push({ a: i, b: j, scoreA: j === i + 1 && rep === 0 ? 1 : 0 });
  const bt = bradleyTerry(4, matches);
  assert.equal(rankByRating(bt), [3, 2, 1, 0]);
  const iv = bootstrapIntervals(4, matches, 5, 50);
  iv.forEach((x, i) => assert.ok(x.low <= bt[i] + 1e-6 && bt[i] <= x.high + 1e-6, `interval ${i}`));
  // Two equal candidates (one win each) are rated alike.
  const even = bradleyTerry(2, [{ a: 0, b: 1, scoreA: 1 }, { a: 0, b: 1, scoreA: 0 }]);
  assert.ok(Math.abs(even[0] - even[1]) < 1e-6);
});

test.run();
