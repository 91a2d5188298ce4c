// What tournaments need from a judge, so they can run on the real one or on a scripted fake.
import type { Side } from "../rrm/votes.js";

export interface MatchOutcome {
  winner: Side | null;
  votes: { a: number; b: number; invalid: number; cancelled?: number };
  probabilityA?: number;
  reason?: string;
  /** Adaptive votes and budgets: the waves of votes the pair took. */
  waves?: number;
}

/** Judges candidate i (as "a") against candidate j (as "b"); `round` is the knockout round (1 for ELO). */
export type PlayMatch = (i: number, j: number, seed: number, round: number) => Promise<MatchOutcome>;

export interface Pairing { a: number; b: number; seed: number }

/**
 * Plays one round's matches together (one batch to the engine) and returns their outcomes in
 * pairing order; `matchDone` is called as each finishes. A round at a time, not a match at a time,
 * so a budget can see the whole round before it spends (lib/tournament/play.ts).
 */
export type PlayRound = (pairs: readonly Pairing[], round: number, matchDone: () => void) => Promise<MatchOutcome[]>;

/** A round player from a match player: every match of the round in flight at once. */
export function roundOf(play: PlayMatch): PlayRound {
  return (pairs, round, matchDone) => Promise.all(pairs.map(async (p) => {
    const r = await play(p.a, p.b, p.seed, round);
    matchDone();
    return r;
  }));
}

export interface MatchRecord {
  round: number;
  /** The pair, "a" first. */
  a: number;
  b: number;
  winner: number | null;
  votes: MatchOutcome["votes"];
  probabilityA?: number;
  /** Set when the judge gave no winner and the tournament had to decide (knockout only). */
  tieBreak?: "probability" | "coin";
  reason?: string;
  waves?: number;
}

export interface TournamentProgress { matchesDone: number; matchesTotal: number; round: number }
