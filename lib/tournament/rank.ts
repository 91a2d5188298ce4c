// Ranking N candidates with the judge: knockout (n - 1 matches), an ELO round-robin
// (n(n-1)/2 matches) or a Swiss system (rounds x floor(n/2) matches). Every independent match is
// handed to the engine at once, so the scheduler batches a whole round and shares the system
// prompt + query prefix between its pairs. Votes per match are fixed (the paper's default),
// adaptive (`votes: { max, confidence }`) or drawn from a judgment budget (`budget`): play.ts.
import { RrmOptionError } from "../errors.js";
import { randomSeed } from "../random.js";
import { checkAdaptiveVotes } from "../rrm/adaptive-votes.js";
import { castVotes } from "../rrm/votes.js";
import type { CompareInput, CompareOptions, CompareResult, PairJudge } from "../rrm/types.js";
import * as v from "../validate.js";
import { bootstrapIntervals, bradleyTerry, type RatingInterval } from "./bradley-terry.js";
import { JudgmentBudget, type BudgetRecord, type RoundShape } from "./budget.js";
import { onlineElo, rankByRating, type RatedMatch } from "./elo.js";
import { knockoutRounds } from "./knockout.js";
import { roundPlayer, type VotePlan } from "./play.js";
import { defaultSwissRounds, maxSwissRounds, swiss, swissRoundsPlayed } from "./swiss.js";
import type { MatchRecord, TournamentProgress } from "./types.js";

export type Strategy = "knockout" | "elo" | "swiss";

export interface RankOptions extends Omit<CompareOptions, "onProgress" | "tieBreak"> {
  strategy?: Strategy;
  /** ELO only: also fit Bradley–Terry ratings with bootstrap intervals (this many resamples). */
  bootstrap?: number;
  /** Swiss only: rounds (default ceil(log2 n) + 1, at most a round-robin's worth). */
  rounds?: number;
  /**
   * At most this many judgments in all, spent where the outcome is least settled (budget.ts).
   * `votes` then caps one match (a number, or `{ max, confidence }`; default 15 at 0.9).
   */
  budget?: number;
  /** Per decode step: matches and judgments finished so far, tokens generated so far. */
  onProgress?: (p: TournamentProgress & { generatedTokens: number; judgmentsDone: number }) => void;
}

export interface RankedCandidate {
  index: number;
  rating?: number;
  bradleyTerry?: number;
  interval?: RatingInterval;
  /** Swiss: points (win 1, draw 1/2, bye 1) and Buchholz (opponents' points). */
  score?: number;
  buchholz?: number;
}

export interface RankResult {
  strategy: Strategy;
  winner: number;
  ranking: RankedCandidate[];
  matches: MatchRecord[];
  rounds: number;
  bracket?: (number | null)[][];
  /** Swiss: round by round, who had the bye. */
  byes?: (number | null)[];
  /** Where a budget went, round by round. */
  budget?: BudgetRecord;
  stats: { matches: number; judgments: number; generatedTokens: number; promptTokens: number; prefillTokensComputed: number; ms: number };
}

/** Budget mode's per-match cap and confidence when `votes` does not set them (tuned on bench/strategies.ts). */
export const BUDGET_DEFAULTS = { maxVotes: 15, confidence: 0.9, wave: 2 };

// Each knockout round gets an equal part of the spare judgments: the best plays exactly one match
// per round and any one loss ends its run, so round 4's single final is worth round 1's eight
// matches together (a match weight of 2^(round-1)). On the simulator (bench/strategies.ts), at a
// 3-vote knockout's judgments, this beat equal weight per match, weight = round and 1.5^(round-1)
// at N = 32 (held-out seeds: +8 points of top-1 against +5); at N = 16 every rule gained 0-2.
const knockoutWeight = (round: number) => 2 ** (round - 1);

/** Matches per round of a knockout of n (byes in the first round only). */
export function knockoutShape(n: number): RoundShape[] {
  if (n < 2) return [];
  const rounds = Math.ceil(Math.log2(n));
  const size = 2 ** rounds;
  return Array.from({ length: rounds }, (_, k) => ({ matches: k === 0 ? n - size / 2 : size / 2 ** (k + 1), weight: knockoutWeight(k + 1) }));
}

export async function rankCandidates(judge: PairJudge, query: string, candidates: readonly string[], options: RankOptions = {}): Promise<RankResult> {
  const t0 = Date.now();
  v.str("query", query);
  if (!Array.isArray(candidates) || candidates.length === 0 || candidates.some((c) => typeof c !== "string")) {
    v.fail("a non-empty array of strings", "candidates", candidates);
  }
  const { strategy: s, bootstrap: bs, rounds: rd, budget: bg, onProgress: op, seed: sd, votes: vt, ...compareOptions } = v.obj("options", options) as RankOptions;
  const strategy = v.oneOf("options.strategy", s, ["knockout", "elo", "swiss"] as const, "knockout");
  const bootstrap = v.int("options.bootstrap", bs, 0, 100000, 0);
  const seed = v.int("options.seed", sd, 0, 0xffffffff, randomSeed());
  const onProgress = v.fn<NonNullable<RankOptions["onProgress"]>>("options.onProgress", op);
  if (strategy !== "elo" && bootstrap) throw new RrmOptionError("options.bootstrap applies to the elo strategy only");
  if (strategy !== "swiss" && rd !== undefined) throw new RrmOptionError("options.rounds applies to the swiss strategy only");
  const n = candidates.length;
  if (typeof rd === "number" && Number.isInteger(rd) && rd > Math.max(1, maxSwissRounds(n))) {
    throw new RrmOptionError(`options.rounds: ${n} candidates play at most ${Math.max(1, maxSwissRounds(n))} Swiss rounds (a round-robin's worth: more would pair someone twice), got ${rd}`);
  }
  const rounds = v.int("options.rounds", rd, 1, Math.max(1, maxSwissRounds(n)), defaultSwissRounds(n));
  const adaptive = typeof vt === "object" && vt !== null ? checkAdaptiveVotes("options.votes", vt) : undefined;

  const shape: RoundShape[] = strategy === "knockout" ? knockoutShape(n)
    : strategy === "elo" ? (n > 1 ? [{ matches: (n * (n - 1)) / 2, weight: 1 }] : [])
    : Array.from({ length: swissRoundsPlayed(n, rounds) }, () => ({ matches: Math.floor(n / 2), weight: 1 }));
  let plan: VotePlan;
  let budget: JudgmentBudget | undefined;
  if (bg !== undefined) {
    const least = JudgmentBudget.minimum(shape);
    const total = v.int("options.budget", bg, 1, Number.MAX_SAFE_INTEGER);
    if (total < least) v.fail(`at least ${least} judgments (one for each of the ${least} matches of this ${strategy})`, "options.budget", total);
    const maxVotes = adaptive?.max ?? (vt === undefined ? BUDGET_DEFAULTS.maxVotes : v.int("options.votes", vt, 1, 4096));
    budget = new JudgmentBudget(total, shape, { maxVotes, confidence: adaptive?.confidence ?? BUDGET_DEFAULTS.confidence, wave: Math.min(maxVotes, adaptive?.wave ?? BUDGET_DEFAULTS.wave) });
    plan = { kind: "budget", budget };
  } else {
    plan = adaptive ? { kind: "adaptive", votes: adaptive } : { kind: "fixed", votes: vt as number | undefined };
  }

  const totals = { judgments: 0, generatedTokens: 0, promptTokens: 0, prefillTokensComputed: 0 };
  let liveTokens = 0, liveVotes = 0;
  let progress: TournamentProgress = { matchesDone: 0, matchesTotal: shape.reduce((t, r) => t + r.matches, 0), round: 0 };
  const report = () => onProgress?.({ ...progress, generatedTokens: totals.generatedTokens + liveTokens, judgmentsDone: totals.judgments + liveVotes });
  // Every compare() of the tournament, counted: a match of adaptive votes is several.
  const counted: PairJudge = {
    compare: async (input, o) => {
      let mine = 0, mineVotes = 0;
      const r: CompareResult = await judge.compare(input, {
        ...o,
        onProgress: (p) => {
          liveTokens += p.generatedTokens - mine;
          mine = p.generatedTokens;
          liveVotes += p.votesDone - mineVotes;
          mineVotes = p.votesDone;
          report();
        },
      });
      liveTokens -= mine;
      liveVotes -= mineVotes;
      totals.judgments += castVotes(r.votes);
      totals.generatedTokens += r.stats.generatedTokens;
      totals.promptTokens += r.stats.promptTokens;
      totals.prefillTokensComputed += r.stats.prefillTokensComputed;
      return r;
    },
  };
  const input = (i: number, j: number): CompareInput => ({ query, a: candidates[i], b: candidates[j] });
  // A later round is closer to a finished tournament: with several tournaments in flight (rrm
  // rank over a file), its matches go first, so finished results come sooner.
  const play = roundPlayer(counted, input, (round) => ({ ...compareOptions, priority: (compareOptions.priority ?? 0) + round }), plan);
  const onRound = (p: TournamentProgress) => { progress = p; report(); };

  let result: Omit<RankResult, "stats">;
  if (strategy === "knockout") {
    const k = await knockoutRounds(n, play, seed, onRound);
    result = { strategy, winner: k.champion, ranking: k.ranking.map((index) => ({ index })), matches: k.matches, rounds: k.rounds, bracket: k.bracket };
  } else if (strategy === "swiss") {
    const sw = await swiss(n, play, seed, rounds, onRound);
    result = {
      strategy, winner: sw.ranking[0], matches: sw.matches, rounds: sw.rounds, byes: sw.byes,
      ranking: sw.standings.map((st) => ({ index: st.index, score: st.score, buchholz: st.buchholz, bradleyTerry: st.bradleyTerry })),
    };
  } else {
    const pairs: [number, number][] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
    let done = 0;
    const outcomes = pairs.length ? await play(pairs.map(([a, b], k) => ({ a, b, seed: (seed ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0 })), 1, () => onRound({ matchesDone: ++done, matchesTotal: pairs.length, round: 1 })) : [];
    const matches: MatchRecord[] = pairs.map(([i, j], k) => {
      const r = outcomes[k];
      const rec: MatchRecord = { round: 1, a: i, b: j, winner: r.winner === "a" ? i : r.winner === "b" ? j : null, votes: r.votes, probabilityA: r.probabilityA, reason: r.reason };
      if (r.waves !== undefined) rec.waves = r.waves;
      return rec;
    });
    const rated: RatedMatch[] = matches.map((m) => ({ a: m.a, b: m.b, scoreA: m.winner === m.a ? 1 : m.winner === m.b ? 0 : 0.5 }));
    const elo = onlineElo(n, rated, seed);
    const bt = bootstrap ? bradleyTerry(n, rated) : undefined;
    const intervals = bootstrap ? bootstrapIntervals(n, rated, seed, bootstrap) : undefined;
    const order = rankByRating(elo);
    result = {
      strategy,
      winner: order[0],
      ranking: order.map((index) => ({ index, rating: elo[index], bradleyTerry: bt?.[index], interval: intervals?.[index] })),
      matches,
      rounds: n > 1 ? 1 : 0,
    };
  }
  if (budget) result.budget = budget.record();
  return { ...result, stats: { matches: result.matches.length, ...totals, ms: Date.now() - t0 } };
}
