// A judgment budget for a ranking: a hard cap on judgments (one judgment = one sampled verdict,
// 1,000-8,000 tokens with a real RRM), spent where the outcome is least settled. The ledger and
// the choices are pure; lib/tournament/play.ts runs the waves they pick.
//
// Across rounds: every match still to play is owed one judgment (so the budget can never run out
// before the tournament ends), and what is left above that is split by weight: a round's share is
// its matches' weight over the weight of every match still to play. A round that settles early
// leaves its unspent share to the rounds after it, so easy first rounds pay for hard finals.
// Within a round: the first wave goes to every match at once (one batch to the engine), then each
// further wave to the matches whose posterior is nearest 1/2 (adaptive-votes.ts), ties to the
// earlier pairing (knockout: bracket order; Swiss: standings order, so the contenders for first
// place go first), as many as the round's share allows, all of them in flight together. The
// choice depends on votes only, never on which request finished first: the same seed spends the
// same budget the same way on any machine.
import { posteriorA, stopReason, judgmentsOf } from "../rrm/adaptive-votes.js";
import type { VoteCount } from "../rrm/votes.js";

/** Matches in a round and the weight of each (a later knockout round weighs more). */
export interface RoundShape { matches: number; weight: number }

export interface BudgetRound {
  round: number;
  matches: number;
  /** Judgments this round was allowed. */
  share: number;
  spent: number;
  /** Waves after the first (one per match) that the round paid for. */
  extraWaves: number;
}

/** Where a budget went: the record a ranking carries. */
export interface BudgetRecord {
  total: number;
  spent: number;
  maxVotes: number;
  confidence: number;
  rounds: BudgetRound[];
}

export class JudgmentBudget {
  readonly total: number;
  readonly maxVotes: number;
  readonly confidence: number;
  readonly wave: number;
  spent = 0;
  readonly rounds: BudgetRound[] = [];
  /** The rounds still to come (first: the next one to open). */
  #shape: RoundShape[];

  constructor(total: number, shape: readonly RoundShape[], per: { maxVotes: number; confidence: number; wave: number }) {
    this.total = total;
    this.#shape = shape.map((s) => ({ ...s }));
    this.maxVotes = per.maxVotes;
    this.confidence = per.confidence;
    this.wave = per.wave;
  }

  /** The fewest judgments a tournament of this shape needs: one per match. */
  static minimum(shape: readonly RoundShape[]): number {
    return shape.reduce((s, r) => s + r.matches, 0);
  }

  get left() { return this.total - this.spent; }

  /** Opens the next round with `matches` matches (fewer than planned: byes, a Swiss that ended). */
  openRound(round: number, matches: number): BudgetRound {
    const planned = this.#shape.shift() ?? { matches, weight: 1 };
    const later = this.#shape.reduce((s, r) => s + r.matches, 0);
    const laterWeight = this.#shape.reduce((s, r) => s + r.matches * r.weight, 0);
    const mine = matches * planned.weight;
    const spare = Math.max(0, this.left - matches - later);
    const share = Math.min(this.left - later, matches + Math.floor(mine + laterWeight > 0 ? (spare * mine) / (mine + laterWeight) : spare));
    const r: BudgetRound = { round, matches, share: Math.max(0, share), spent: 0, extraWaves: 0 };
    this.rounds.push(r);
    return r;
  }

  /** Judgments the open round may still start, never past the budget nor the later rounds' due. */
  available(r: BudgetRound): number {
    const later = this.#shape.reduce((s, x) => s + x.matches, 0);
    return Math.max(0, Math.min(r.share - r.spent, this.left - later));
  }

  charge(r: BudgetRound, judgments: number) {
    r.spent += judgments;
    this.spent += judgments;
  }

  /** The first wave's size: as many as the round affords for every match, 1 to `wave`. */
  firstWave(r: BudgetRound): number {
    return Math.max(1, Math.min(this.wave, this.maxVotes, Math.floor(this.available(r) / Math.max(1, r.matches))));
  }

  record(): BudgetRecord {
    return { total: this.total, spent: this.spent, maxVotes: this.maxVotes, confidence: this.confidence, rounds: this.rounds.map((r) => ({ ...r })) };
  }
}

/**
 * The next waves of a round: open matches (not settled, decided nor at the per-match cap) by how
 * close their posterior is to 1/2, then pairing order, while `available` judgments last.
 * Returns [match index, wave size] pairs, in match order.
 */
export function nextWaves(counts: readonly VoteCount[], available: number, wave: number, maxVotes: number, confidence: number): [number, number][] {
  const open = counts.map((c, k) => ({ k, c, u: Math.abs(posteriorA(c.a, c.b) - 0.5) })).filter(({ c }) => !stopReason(c, maxVotes, confidence));
  open.sort((x, y) => x.u - y.u || x.k - y.k);
  const picks: [number, number][] = [];
  let left = available;
  for (const { k, c } of open) {
    if (left <= 0) break;
    const size = Math.min(wave, maxVotes - judgmentsOf(c), left);
    picks.push([k, size]);
    left -= size;
  }
  return picks.sort((x, y) => x[0] - y[0]);
}
