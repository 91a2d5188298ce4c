// A simulated judge for measuring tournaments (bench/strategies.ts) and testing them: candidates
// with latent strengths, each vote a Bradley–Terry draw with its own noise, a position bias and
// invalid votes at a stated rate. It implements PairJudge like the real judge (the same swap
// policies and early stop), so the tournament code it drives is the code users run.
import type { CompareInput, CompareOptions, CompareResult, JudgeSample, PairJudge } from "../rrm/types.js";
import { decidedSide, majority, type Side, type VoteCount } from "../rrm/votes.js";
import { SeededRandom } from "../random.js";

export interface SimulationParams {
  /** Standard deviation of the latent strengths (logits), drawn from N(0, sd^2). */
  strengthSd: number;
  /** Added to the logit of whichever answer is shown first (Assistant 1). */
  positionBias: number;
  /** Standard deviation of per-vote logit noise (a judgment's own mood). */
  voteNoise: number;
  /** Share of votes with no readable verdict. */
  invalidRate: number;
}

/** The setting (issue 19): strengths N(0, 1.2^2), a small position bias, 5% invalid votes. */
export const SIMULATION_DEFAULTS: SimulationParams = { strengthSd: 1.2, positionBias: 0.2, voteNoise: 0.5, invalidRate: 0.05 };

export function gaussian(rng: SeededRandom): number {
  const u = 1 - rng.next(), w = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
}

/** A ground truth: n strengths and the candidate texts the judge recognises them by. */
export function simulatedCandidates(n: number, seed: number, p: SimulationParams = SIMULATION_DEFAULTS): { strengths: number[]; texts: string[] } {
  const rng = new SeededRandom(seed);
  const strengths = Array.from({ length: n }, () => p.strengthSd * gaussian(rng));
  return { strengths, texts: strengths.map((_, i) => `candidate ${i}`) };
}

export class SimulatedJudge implements PairJudge {
  readonly strengths: readonly number[];
  readonly params: SimulationParams;
  readonly #index = new Map<string, number>();
  readonly #seed: number;
  /** compare() calls and judgments made (cancelled votes excluded). */
  calls = 0;
  judgments = 0;

  constructor(strengths: readonly number[], texts: readonly string[], seed: number, params: SimulationParams = SIMULATION_DEFAULTS) {
    this.strengths = strengths;
    this.params = params;
    this.#seed = seed >>> 0;
    texts.forEach((t, i) => this.#index.set(t, i));
  }

  #strength(text: string): number {
    const i = this.#index.get(text);
    if (i === undefined) throw new Error(`SimulatedJudge: unknown candidate ${JSON.stringify(text.slice(0, 40))}`);
    return this.strengths[i];
  }

  async compare(input: CompareInput, options: CompareOptions = {}): Promise<CompareResult> {
    if (options.signal?.aborted) throw new Error("aborted");
    if (typeof options.votes === "object") throw new Error("SimulatedJudge: adaptive votes arrive as waves of plain counts");
    this.calls++;
    const n = options.votes ?? 1;
    const seed = options.seed ?? 0;
    // Vote randomness from the judge's seed and the request's: the same request, the same votes.
    const rng = new SeededRandom((this.#seed ^ Math.imul(seed + 1, 0x9e3779b1)) >>> 0);
    const swap = options.swap ?? "random";
    const coin = rng.coin();
    const sa = this.#strength(input.a), sb = this.#strength(input.b);
    const p = this.params;
    const count: VoteCount = { a: 0, b: 0, invalid: 0, cancelled: 0 };
    const samples: JudgeSample[] = [];
    for (let k = 0; k < n; k++) {
      if (options.earlyStop !== false && decidedSide(count, n)) {
        count.cancelled = n - k;
        break;
      }
      const swapped = swap === "none" ? false : swap === "random" ? coin : k >= Math.ceil(n / 2);
      const [first, second] = swapped ? [sb, sa] : [sa, sb];
      const logit = first - second + p.positionBias + p.voteNoise * gaussian(rng);
      const invalid = rng.next() < p.invalidRate;
      const firstWins = rng.next() < 1 / (1 + Math.exp(-logit));
      const verdict: Side | null = invalid ? null : firstWins !== swapped ? "a" : "b";
      if (verdict) count[verdict]++;
      else count.invalid++;
      samples.push({ text: "", verdict, invalidReason: verdict ? undefined : "no-box", swapped, tokens: 1, finishReason: "eos" });
    }
    const judged = count.a + count.b + count.invalid;
    this.judgments += judged;
    const outcome = majority(count, options.tieBreak ?? "none", undefined, () => rng.coin());
    return { ...outcome, votes: count, samples, earlyStopped: judged < n, stats: { promptTokens: judged, prefillTokensComputed: judged, generatedTokens: judged, ms: 0 } };
  }
}

/** The truth's order, strongest first. */
export const trueOrder = (strengths: readonly number[]) => [...strengths.keys()].sort((x, y) => strengths[y] - strengths[x] || x - y);

/** Kendall's tau-a between a ranking and the truth (both full orders of the same n items). */
export function kendallTau(ranking: readonly number[], strengths: readonly number[]): number {
  const n = ranking.length;
  if (n < 2) return 1;
  let concordant = 0, discordant = 0;
  for (let x = 0; x < n; x++) {
    for (let y = x + 1; y < n; y++) {
      const d = strengths[ranking[x]] - strengths[ranking[y]];
      if (d > 0) concordant++;
      else if (d < 0) discordant++;
    }
  }
  return (concordant - discordant) / ((n * (n - 1)) / 2);
}

/** Share of the true top k that the ranking's top k holds. */
export function topKRecall(ranking: readonly number[], strengths: readonly number[], k: number): number {
  const truth = new Set(trueOrder(strengths).slice(0, k));
  return ranking.slice(0, k).filter((c) => truth.has(c)).length / Math.min(k, ranking.length);
}
