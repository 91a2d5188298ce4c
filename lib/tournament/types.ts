// What tournaments need from a judge, so they can run on the real one or on a scripted fake.
import type { Side } from "../rrm/votes.js";

export interface MatchOutcome {
  winner: Side | null;
  votes: { a: number; b: number; invalid: number; cancelled?: number };
  probabilityA?: number;
  reason?: string;
}

/** Judges candidate i (as "a") against candidate j (as "b"); `round` is the knockout round (1 for ELO). */
export type PlayMatch = (i: number, j: number, seed: number, round: number) => Promise<MatchOutcome>;

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
}

export interface TournamentProgress { matchesDone: number; matchesTotal: number; round: number }
