// Ranking N candidates with the judge: knockout (n - 1 matches) or an ELO round-robin
// (n(n-1)/2 matches). Every independent match is handed to the engine at once, so the scheduler
// batches a whole round and shares the system prompt + query prefix between its pairs.
import { RrmOptionError } from "../errors.js";
import { randomSeed } from "../random.js";
import type { CompareOptions, CompareResult, PairJudge } from "../rrm/types.js";
import * as v from "../validate.js";
import { bootstrapIntervals, bradleyTerry, type RatingInterval } from "./bradley-terry.js";
import { onlineElo, rankByRating, type RatedMatch } from "./elo.js";
import { knockout } from "./knockout.js";
import type { MatchRecord, PlayMatch, TournamentProgress } from "./types.js";

export type Strategy = "knockout" | "elo";

export interface RankOptions extends Omit<CompareOptions, "onProgress" | "tieBreak"> {
  strategy?: Strategy;
  /** ELO only: also fit Bradley–Terry ratings with bootstrap intervals (this many resamples). */
  bootstrap?: number;
  onProgress?: (p: TournamentProgress & { generatedTokens: number }) => void;
}

export interface RankedCandidate { index: number; rating?: number; bradleyTerry?: number; interval?: RatingInterval }

export interface RankResult {
  strategy: Strategy;
  winner: number;
  ranking: RankedCandidate[];
  matches: MatchRecord[];
  rounds: number;
  bracket?: (number | null)[][];
  stats: { matches: number; judgments: number; generatedTokens: number; promptTokens: number; prefillTokensComputed: number; ms: number };
}

export async function rankCandidates(judge: PairJudge, query: string, candidates: readonly string[], options: RankOptions = {}): Promise<RankResult> {
  const t0 = Date.now();
  v.str("query", query);
  if (!Array.isArray(candidates) || candidates.length === 0 || candidates.some((c) => typeof c !== "string")) {
    v.fail("a non-empty array of strings", "candidates", candidates);
  }
  const { strategy: s, bootstrap: bs, onProgress: op, seed: sd, ...compareOptions } = v.obj("options", options) as RankOptions;
  const strategy = v.oneOf("options.strategy", s, ["knockout", "elo"] as const, "knockout");
  const bootstrap = v.int("options.bootstrap", bs, 0, 100000, 0);
  const seed = v.int("options.seed", sd, 0, 0xffffffff, randomSeed());
  const onProgress = v.fn<NonNullable<RankOptions["onProgress"]>>("options.onProgress", op);
  if (strategy === "knockout" && bootstrap) throw new RrmOptionError("options.bootstrap applies to the elo strategy only");

  const n = candidates.length;
  const totals = { judgments: 0, generatedTokens: 0, promptTokens: 0, prefillTokensComputed: 0 };
  let liveTokens = 0;
  let progress: TournamentProgress = { matchesDone: 0, matchesTotal: strategy === "elo" ? (n * (n - 1)) / 2 : n - 1, round: 0 };
  const report = () => onProgress?.({ ...progress, generatedTokens: totals.generatedTokens + liveTokens });
  const play: PlayMatch = async (i, j, matchSeed, round) => {
    let mine = 0;
    const r: CompareResult = await judge.compare({ query, a: candidates[i], b: candidates[j] }, {
      ...compareOptions,
      // A later knockout round is closer to a finished tournament: with several tournaments in
      // flight (rrm rank over a file), its matches go first, so finished results come sooner.
      priority: (compareOptions.priority ?? 0) + round,
      seed: matchSeed,
      onProgress: (p) => {
        liveTokens += p.generatedTokens - mine;
        mine = p.generatedTokens;
        report();
      },
    });
    liveTokens -= mine;
    totals.judgments += r.votes.a + r.votes.b + r.votes.invalid;
    totals.generatedTokens += r.stats.generatedTokens;
    totals.promptTokens += r.stats.promptTokens;
    totals.prefillTokensComputed += r.stats.prefillTokensComputed;
    return { winner: r.winner, votes: r.votes, probabilityA: r.probabilityA, reason: r.reason };
  };

  let result: Omit<RankResult, "stats">;
  if (strategy === "knockout") {
    const k = await knockout(n, play, seed, (p) => { progress = p; report(); });
    result = { strategy, winner: k.champion, ranking: k.ranking.map((index) => ({ index })), matches: k.matches, rounds: k.rounds, bracket: k.bracket };
  } else {
    const pairs: [number, number][] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
    let done = 0;
    const matches: MatchRecord[] = await Promise.all(pairs.map(async ([i, j], k) => {
      const r = await play(i, j, (seed ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0, 1);
      progress = { matchesDone: ++done, matchesTotal: pairs.length, round: 1 };
      report();
      return { round: 1, a: i, b: j, winner: r.winner === "a" ? i : r.winner === "b" ? j : null, votes: r.votes, probabilityA: r.probabilityA, reason: r.reason };
    }));
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
  return { ...result, stats: { matches: result.matches.length, ...totals, ms: Date.now() - t0 } };
}
