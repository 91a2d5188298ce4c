// The judge's types, apart from the judge: tournaments and evaluation depend on these and on the
// PairJudge interface only, so the arrows point one way (rrm/judge -> tournament -> rrm/types).
import type { Completion } from "../engine.js";
import type { AdaptiveVotes } from "./adaptive-votes.js";
import type { InvalidReason } from "./verdict.js";
import type { Outcome, Side, TieBreak, VoteCount } from "./votes.js";

export type SwapPolicy = "random" | "alternate" | "none";

export interface CompareInput { query: string; a: string; b: string }

export interface CompareOptions {
  /**
   * Sampled judgments (default 1; the paper's voting@N uses up to 16), majority vote. Or adaptive
   * votes, `{ max, confidence }`: waves of votes until the verdict is settled (adaptive-votes.ts).
   */
  votes?: number | AdaptiveVotes;
  temperature?: number;
  topP?: number;
  /** Reasoning plus answer, per judgment (default 8192, RRM.md §3). */
  maxTokens?: number;
  /** Tokens of reasoning before the verdict is forced (see README: thinking budget). */
  thinkingBudget?: number;
  /** "random": one seeded coin flip per comparison (the paper); "alternate": half the votes each order. */
  swap?: SwapPolicy;
  /** Stop the remaining votes once one side has a majority of all votes (default true). */
  earlyStop?: boolean;
  /** What a tie or an all-invalid result becomes (default "none": no winner). */
  tieBreak?: TieBreak;
  /** Trim whitespace inside \boxed{} before matching (default false, the authors' first rule). */
  trimVerdict?: boolean;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: CompareProgress) => void;
  /** The engine's request priority: higher is admitted first and preempted last (default 0). */
  priority?: number;
}

export interface CompareProgress { votesDone: number; votesTotal: number; generatedTokens: number }

export interface JudgeSample {
  text: string;
  /** The side this vote chose, after undoing the position swap; "tie" where the judge's rule has ties; null for an invalid vote. */
  verdict: Side | "tie" | null;
  invalidReason?: InvalidReason | "cancelled";
  /** True when "b" was shown as Assistant 1. */
  swapped: boolean;
  tokens: number;
  finishReason: Completion["finishReason"];
  /** Forced verdicts: the probability that "a" is better, from the next-token probabilities. */
  probabilityA?: number;
}

export interface CompareResult extends Outcome {
  votes: VoteCount;
  samples: JudgeSample[];
  /** Mean probability that "a" is better over forced-verdict samples, where any. */
  probabilityA?: number;
  earlyStopped: boolean;
  stats: { promptTokens: number; prefillTokensComputed: number; generatedTokens: number; ms: number };
}

/** What tournaments and evaluation need of a judge: one pairwise comparison. */
export interface PairJudge {
  compare(input: CompareInput, options?: CompareOptions): Promise<CompareResult>;
}
