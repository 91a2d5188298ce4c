// How a round's matches are judged, for any PairJudge (the real judge or a scripted one): fixed
// votes (the paper: one compare() per match, majority), adaptive votes (waves until settled,
// adaptive-votes.ts) or under a judgment budget (budget.ts). Every match of a round is in flight
// together, so the engine batches them and shares the query's prefix; budgeted waves go out one
// wave of the whole round at a time, so what is spent depends on votes, not on timing.
import { judgmentsOf, newTally, runWave, stopReason, tallyResult, type AdaptiveVotes } from "../rrm/adaptive-votes.js";
import type { CompareInput, CompareOptions, PairJudge } from "../rrm/types.js";
import { nextWaves, type JudgmentBudget } from "./budget.js";
import type { MatchOutcome, PlayRound } from "./types.js";

export type VotePlan =
  | { kind: "fixed"; votes?: number }
  | { kind: "adaptive"; votes: Required<AdaptiveVotes> }
  | { kind: "budget"; budget: JudgmentBudget };

/** `options(round)`: the compare options of a round's matches (the caller sets the priority). */
export function roundPlayer(judge: PairJudge, input: (i: number, j: number) => CompareInput, options: (round: number) => CompareOptions, plan: VotePlan): PlayRound {
  return async (pairs, round, matchDone) => {
    const o = options(round);
    if (plan.kind === "fixed") {
      return Promise.all(pairs.map(async (p) => {
        const r = await judge.compare(input(p.a, p.b), { ...o, votes: plan.votes, seed: p.seed });
        matchDone();
        return { winner: r.winner, votes: r.votes, probabilityA: r.probabilityA, reason: r.reason };
      }));
    }
    if (plan.kind === "adaptive") {
      const { max, confidence, wave } = plan.votes;
      return Promise.all(pairs.map(async (p) => {
        const t0 = Date.now();
        const tally = newTally();
        while (!stopReason(tally.count, max, confidence)) {
          if (await runWave(judge, input(p.a, p.b), o, tally, Math.min(wave, max - judgmentsOf(tally.count)), p.seed) === 0) break;
        }
        matchDone();
        return outcome(tallyResult(tally, o, p.seed, max, Date.now() - t0));
      }));
    }
    const budget = plan.budget;
    const t0 = Date.now();
    const r = budget.openRound(round, pairs.length);
    const tallies = pairs.map(() => newTally());
    const wave = async (picks: [number, number][]) => {
      const used = await Promise.all(picks.map(async ([k, size]) => runWave(judge, input(pairs[k].a, pairs[k].b), o, tallies[k], size, pairs[k].seed)));
      used.forEach((n) => budget.charge(r, n));
      return used.reduce((s, n) => s + n, 0);
    };
    // The first wave: every match, together. openRound() guarantees one judgment each.
    const first = budget.firstWave(r);
    await wave(pairs.map((_, k) => [k, first]));
    for (;;) {
      const picks = nextWaves(tallies.map((t) => t.count), budget.available(r), budget.wave, budget.maxVotes, budget.confidence);
      if (!picks.length) break;
      r.extraWaves += picks.length;
      if (await wave(picks) === 0) break; // a judge that returns no votes would loop forever
    }
    return pairs.map((p, k) => {
      matchDone();
      return outcome(tallyResult(tallies[k], o, p.seed, budget.maxVotes, Date.now() - t0));
    });
  };
}

function outcome(r: ReturnType<typeof tallyResult>): MatchOutcome {
  return { winner: r.winner, votes: r.votes, probabilityA: r.probabilityA, reason: r.reason, waves: r.waves };
}
