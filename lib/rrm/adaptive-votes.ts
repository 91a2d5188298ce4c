// Adaptive votes: a pair's votes run in waves through any PairJudge and stop once the verdict is
// settled, instead of a fixed count spent alike on an obvious pair and a close one.
//
// Stopping rule: a Beta posterior. With a uniform prior on p (the chance that one judgment of this
// pair prefers "a") and a, b valid votes, P(p > 1/2) = P(Binomial(a + b + 1, 1/2) <= a) exactly
// (the Beta-binomial identity): integers only, no special functions, the same on every machine.
// The pair is settled once that is >= confidence (for "a") or <= 1 - confidence (for "b").
// Why this and not a sequential probability ratio test: an SPRT needs an alternative p1, an
// effect size nobody knows for a given pair; a lead of k ignores how many votes were cast (3-0 and
// 9-6 are both a lead of 3). The posterior takes one number a user can read ("90% sure the judge
// prefers a") and for small counts is a lead: at 0.9 it stops at 3-0, 5-1, 6-2, 8-3 (4-1 is 0.89).
// Invalid votes say nothing about p: they count toward `max`, not toward the posterior.
// A second, exact stop: once one side has more than half of `max`, the rest cannot change the
// majority (the fixed-vote early stop, lib/rrm/votes.ts).
//
// Positions: each wave asks the judge for swap "alternate" (half of the wave in each order) and
// odd waves present the pair as (b, a), mapped back here, so the two orders stay within one vote of
// each other whatever the wave sizes (a 1-vote wave alternates orders wave by wave).
import { abortError } from "../errors.js";
import { randomSeed, SeededRandom } from "../random.js";
import * as v from "../validate.js";
import type { CompareInput, CompareOptions, CompareResult, JudgeSample, PairJudge } from "./types.js";
import { castVotes, decidedSide, majority, type Side, type VoteCount } from "./votes.js";

export interface AdaptiveVotes {
  /** At most this many judgments for the pair. */
  max: number;
  /** Stop once the posterior probability of one side is at least this (0.5 < confidence < 1). */
  confidence: number;
  /** Judgments per wave (default 2: one in each order). */
  wave?: number;
}

/** The largest `max` accepted: waves are separate requests, so this is not the engine's per-request cap. */
export const MAX_ADAPTIVE_VOTES = 4096;

export function checkAdaptiveVotes(name: string, value: unknown): Required<AdaptiveVotes> {
  const o = v.obj(name, value);
  v.knownKeys(name, o, ["max", "confidence", "wave"]);
  const max = v.int(`${name}.max`, o.max, 1, MAX_ADAPTIVE_VOTES);
  const confidence = v.num(`${name}.confidence`, o.confidence, 0.5, 1);
  if (confidence <= 0.5 || confidence >= 1) v.fail("a number strictly between 0.5 and 1", `${name}.confidence`, confidence);
  const wave = v.int(`${name}.wave`, o.wave, 1, max, Math.min(2, max));
  return { max, confidence, wave };
}

/** The most judgments one pair may take under `votes` (a count or adaptive votes; default 1). */
export function voteCeiling(votes: number | AdaptiveVotes | undefined): number {
  return typeof votes === "object" && votes !== null ? votes.max : votes ?? 1;
}

const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  for (let k = logFactorials.length; k <= n; k++) logFactorials[k] = logFactorials[k - 1] + Math.log(k);
  return logFactorials[n];
}

/** P(p > 1/2 | a votes for "a", b for "b"), uniform prior: P(Binomial(a + b + 1, 1/2) <= a). */
export function posteriorA(a: number, b: number): number {
  const n = a + b + 1;
  if (a >= n) return 1;
  // Sum the smaller tail for accuracy; log space keeps 0.5^n from underflowing at large n.
  const term = (k: number) => Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) - n * Math.LN2);
  if (a < n / 2) {
    let s = 0;
    for (let k = 0; k <= a; k++) s += term(k);
    return Math.min(1, s);
  }
  let s = 0;
  for (let k = a + 1; k <= n; k++) s += term(k);
  return Math.max(0, 1 - s);
}

/** The side the votes have settled on at this confidence, or null. */
export function settledSide(count: Pick<VoteCount, "a" | "b">, confidence: number): Side | null {
  const p = posteriorA(count.a, count.b);
  if (p >= confidence) return "a";
  if (p <= 1 - confidence) return "b";
  return null;
}

/** Why a pair needs no more votes: settled at the confidence, decided within `max`, or out of votes. */
export function stopReason(count: VoteCount, max: number, confidence: number): "settled" | "decided" | "max" | null {
  if (settledSide(count, confidence)) return "settled";
  if (decidedSide(count, max)) return "decided";
  if (castVotes(count) >= max) return "max";
  return null;
}

/** The running state of one pair's votes across waves. */
export interface VoteTally {
  count: VoteCount;
  samples: JudgeSample[];
  waves: number;
  /** Probabilities of forced verdicts, where a wave gave one without samples (a scripted judge). */
  probabilities: { p: number; weight: number }[];
  stats: CompareResult["stats"];
}

export function newTally(): VoteTally {
  return { count: { a: 0, b: 0, invalid: 0, cancelled: 0 }, samples: [], waves: 0, probabilities: [], stats: { promptTokens: 0, prefillTokensComputed: 0, generatedTokens: 0, ms: 0 } };
}

export const judgmentsOf = castVotes;

/** A wave's seed from the pair's seed and the wave's index (murmur3-style mixing, like itemSeed). */
export function waveSeed(seed: number, wave: number): number {
  if (wave === 0) return seed >>> 0;
  let x = (seed ^ Math.imul(wave, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  return (x ^ (x >>> 13)) >>> 0;
}

/**
 * Runs one wave of `size` votes and adds it to the tally. `options` are the caller's compare
 * options (votes, swap, earlyStop and seed are set here). Returns the judgments it used.
 */
export async function runWave(judge: PairJudge, input: CompareInput, options: CompareOptions, tally: VoteTally, size: number, seed: number): Promise<number> {
  const balance = options.swap !== "none";
  const inverted = balance && tally.waves % 2 === 1;
  const { votes: _v, seed: _s, swap: _w, earlyStop: _e, tieBreak: _t, ...rest } = options;
  // Every vote of a wave counts toward the posterior, so none is cut short inside it.
  const r = await judge.compare(inverted ? { query: input.query, a: input.b, b: input.a } : input, {
    ...rest, votes: size, seed: waveSeed(seed, tally.waves), swap: balance ? "alternate" : "none", earlyStop: false,
  });
  tally.waves++;
  const c = tally.count;
  c.a += inverted ? r.votes.b : r.votes.a;
  c.b += inverted ? r.votes.a : r.votes.b;
  c.invalid += r.votes.invalid;
  c.cancelled += r.votes.cancelled ?? 0;
  if (r.votes.ties !== undefined) c.ties = (c.ties ?? 0) + r.votes.ties;
  for (const s of r.samples ?? []) {
    tally.samples.push(inverted ? { ...s, verdict: s.verdict === "a" ? "b" : s.verdict === "b" ? "a" : s.verdict, swapped: !s.swapped, probabilityA: s.probabilityA === undefined ? undefined : 1 - s.probabilityA } : s);
  }
  if (r.probabilityA !== undefined && !(r.samples ?? []).some((s) => s.probabilityA !== undefined)) {
    tally.probabilities.push({ p: inverted ? 1 - r.probabilityA : r.probabilityA, weight: Math.max(1, judgmentsOf(r.votes)) });
  }
  tally.stats.promptTokens += r.stats.promptTokens;
  tally.stats.prefillTokensComputed += r.stats.prefillTokensComputed;
  tally.stats.generatedTokens += r.stats.generatedTokens;
  return judgmentsOf(r.votes);
}

/** Mean probability that "a" is better over forced verdicts, where any. */
export function tallyProbability(t: VoteTally): number | undefined {
  const ps = t.samples.filter((s) => s.probabilityA !== undefined).map((s) => ({ p: s.probabilityA!, weight: 1 })).concat(t.probabilities);
  if (!ps.length) return undefined;
  return ps.reduce((s, x) => s + x.p * x.weight, 0) / ps.reduce((s, x) => s + x.weight, 0);
}

/** The tally as a CompareResult: majority of the votes cast, the caller's tie-break. */
export function tallyResult(t: VoteTally, options: CompareOptions, seed: number, max: number, ms: number): CompareResult & { waves: number } {
  const probabilityA = tallyProbability(t);
  const rng = new SeededRandom((seed ^ 0x5bd1e995) >>> 0);
  const outcome = majority(t.count, options.tieBreak ?? "none", probabilityA, () => rng.coin());
  return { ...outcome, votes: { ...t.count }, samples: t.samples, probabilityA, earlyStopped: judgmentsOf(t.count) < max, waves: t.waves, stats: { ...t.stats, ms } };
}

/** One pair with adaptive votes: waves until stopReason(), through any PairJudge. */
export async function adaptiveCompare(judge: PairJudge, input: CompareInput, options: CompareOptions, plan: AdaptiveVotes): Promise<CompareResult & { waves: number }> {
  const t0 = Date.now();
  const p = checkAdaptiveVotes("options.votes", plan);
  const seed = v.int("options.seed", options.seed, 0, 0xffffffff, randomSeed());
  const tally = newTally();
  while (!stopReason(tally.count, p.max, p.confidence)) {
    if (options.signal?.aborted) throw abortError(options.signal);
    const used = await runWave(judge, input, options, tally, Math.min(p.wave, p.max - judgmentsOf(tally.count)), seed);
    if (used === 0) break; // a judge that returns nothing (cancelled) would loop forever
  }
  return tallyResult(tally, options, seed, p.max, Date.now() - t0);
}
