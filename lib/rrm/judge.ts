// The RRM judge: pairwise verdicts from several sampled judgments, combined by majority vote.
// Votes shown in one order are one engine request (the prompt is computed once for all of them).
import { MAX_SAMPLES_PER_REQUEST, type Completion, type Engine } from "../engine.js";
import { abortError } from "../errors.js";
import { randomSeed, SeededRandom } from "../random.js";
import * as v from "../validate.js";
import { rankCandidates, type RankOptions, type RankResult } from "../tournament/rank.js";
import type { CompareInput, CompareOptions, CompareProgress, CompareResult, JudgeSample, PairJudge } from "./types.js";
import { adaptiveCompare } from "./adaptive-votes.js";
import { RrmPrompter } from "./prompt.js";
import { parseVerdict, type InvalidReason } from "./verdict.js";
import { decidedSide, majority, type Side, type VoteCount } from "./votes.js";

export type { CompareInput, CompareOptions, CompareProgress, CompareResult, JudgeSample, PairJudge, SwapPolicy } from "./types.js";

const COMPARE_KEYS = ["votes", "temperature", "topP", "maxTokens", "thinkingBudget", "swap", "earlyStop", "tieBreak", "trimVerdict", "seed", "signal", "onProgress", "priority"] as const;

export interface JudgeOptions {
  /** Override the model's chat template (Jinja source). */
  chatTemplate?: string;
  /** Defaults for every compare() call. */
  defaults?: CompareOptions;
}

/** The text a forced verdict appends after the budget: it closes the reasoning and opens the box. */
export const FORCED_VERDICT_TEXT = "\n</think>\n\n\\boxed{Assistant ";

export class Judge implements PairJudge {
  readonly engine: Engine;
  readonly prompter: RrmPrompter;
  readonly defaults: CompareOptions;
  readonly #forced: { tokens: number[]; probe: [number, number]; thinkEnd: number };

  constructor(engine: Engine, options: JudgeOptions = {}) {
    this.engine = engine;
    this.prompter = new RrmPrompter(engine.model, options.chatTemplate);
    this.defaults = options.defaults ?? {};
    this.#forced = forcedVerdictTokens(engine);
  }

  async compare(input: CompareInput, options: CompareOptions = {}): Promise<CompareResult> {
    const t0 = Date.now();
    const i = v.obj("input", input);
    const query = v.str("input.query", i.query);
    const a = v.str("input.a", i.a);
    const b = v.str("input.b", i.b);
    const o = { ...this.defaults, ...v.obj("options", options) };
    v.knownKeys("options", o, COMPARE_KEYS);
    // Adaptive votes are waves of plain compare() calls (adaptive-votes.ts), the same code a
    // scripted judge runs under in the tournament tests.
    if (typeof o.votes === "object" && o.votes !== null) return adaptiveCompare(this, { query, a, b }, { ...o, votes: undefined }, o.votes);
    const votes = v.int("options.votes", o.votes, 1, MAX_SAMPLES_PER_REQUEST, 1);
    const maxTokens = v.int("options.maxTokens", o.maxTokens, 1, 1 << 20, 8192);
    // The budget must leave room for the answer; with maxTokens 1 there is none ("1..0" said nothing).
    if (o.thinkingBudget !== undefined && maxTokens < 2) v.fail(`no thinking budget (it must be below options.maxTokens, which is ${maxTokens})`, "options.thinkingBudget", o.thinkingBudget);
    const budget = o.thinkingBudget === undefined ? undefined : v.int("options.thinkingBudget", o.thinkingBudget, 1, maxTokens - 1);
    const swap = v.oneOf("options.swap", o.swap, ["random", "alternate", "none"] as const, "random");
    const earlyStop = v.bool("options.earlyStop", o.earlyStop, true);
    const tieBreak = v.oneOf("options.tieBreak", o.tieBreak, ["none", "a", "b", "probability", "coin"] as const, "none");
    const trim = v.bool("options.trimVerdict", o.trimVerdict, false);
    const seed = v.int("options.seed", o.seed, 0, 0xffffffff, randomSeed());
    const signal = v.signal("options.signal", o.signal);
    const onProgress = v.fn<(p: CompareProgress) => void>("options.onProgress", o.onProgress);
    const temperature = v.num("options.temperature", o.temperature, 0, 100, 0.6);
    const topP = v.num("options.topP", o.topP, 0, 1, 1);
    const priority = v.int("options.priority", o.priority, -1000000, 1000000, 0);
    if (signal?.aborted) throw abortError(signal);

    const rng = new SeededRandom(seed);
    // Which orders to show, and how many votes each: [swapped, n].
    const orders: [boolean, number][] =
      swap === "none" ? [[false, votes]]
      : swap === "random" ? [[rng.coin(), votes]]
      : [[false, Math.ceil(votes / 2)], [true, Math.floor(votes / 2)]].filter(([, n]) => (n as number) > 0) as [boolean, number][];

    const count: VoteCount = { a: 0, b: 0, invalid: 0, cancelled: 0 };
    const samples: JudgeSample[] = [];
    const stop = new AbortController();
    let generated = 0;
    let earlyStopped = false;
    const progress = () => onProgress?.({ votesDone: count.a + count.b + count.invalid, votesTotal: votes, generatedTokens: generated });

    const runs = orders.map(async ([swapped, n], k) => {
      const prompt = this.prompter.tokens(swapped ? { query, first: b, second: a } : { query, first: a, second: b });
      let runTokens = 0;
      const res = await this.engine.generate({
        prompt, n, maxTokens, temperature, topP, priority,
        seed: (seed + k * 0x9e3779b1) >>> 0,
        signal,
        stopSignal: stop.signal,
        forced: budget === undefined ? undefined : { afterTokens: budget, unlessToken: this.#forced.thinkEnd, tokens: this.#forced.tokens, probeTokens: this.#forced.probe },
        onProgress: (p) => {
          generated += p.generatedTokens - runTokens;
          runTokens = p.generatedTokens;
          progress();
        },
        onSample: (c) => {
          // Once decided, votes that were still finishing (events already on their way when the
          // stop went out) are not counted: the tally is then the same however the threads ran.
          if (stop.signal.aborted) return void count.cancelled++;
          const s = this.#toSample(c, swapped, trim);
          samples.push(s);
          if (s.verdict) count[s.verdict]++;
          else count.invalid++;
          progress();
          if (earlyStop && decidedSide(count, votes)) {
            earlyStopped = count.a + count.b + count.invalid < votes;
            stop.abort(); // the other order's request too
          }
        },
      });
      for (const c of res.completions) if (c.finishReason === "cancelled") count.cancelled++;
      return res.stats;
    });
    const stats = await Promise.all(runs);
    const forcedProbs = samples.filter((s) => s.probabilityA !== undefined).map((s) => s.probabilityA!);
    const probabilityA = forcedProbs.length ? forcedProbs.reduce((x, y) => x + y, 0) / forcedProbs.length : undefined;
    const outcome = majority(count, tieBreak, probabilityA, () => rng.coin());
    return {
      ...outcome,
      votes: count,
      samples,
      probabilityA,
      earlyStopped,
      stats: {
        promptTokens: stats.reduce((s, x) => s + x.promptTokens, 0),
        prefillTokensComputed: stats.reduce((s, x) => s + x.prefillTokensComputed, 0),
        generatedTokens: stats.reduce((s, x) => s + x.generatedTokens, 0),
        ms: Date.now() - t0,
      },
    };
  }

  /** Ranks candidates with a knockout (default), ELO round-robin or Swiss tournament; `budget` caps its judgments. */
  rank(query: string, candidates: readonly string[], options: RankOptions = {}): Promise<RankResult> {
    return rankCandidates(this, query, candidates, options);
  }

  /** Best-of-N: the knockout champion, the top ELO candidate or the Swiss leader. */
  async best(query: string, candidates: readonly string[], options: RankOptions = {}): Promise<{ index: number; candidate: string; result: RankResult }> {
    const result = await this.rank(query, candidates, options);
    return { index: result.winner, candidate: candidates[result.winner], result };
  }

  #toSample(c: Completion, swapped: boolean, trim: boolean): JudgeSample {
    let text = c.text;
    let probabilityA: number | undefined;
    if (c.finishReason === "forced" && c.probe) {
      // The verdict the model gives after the forced "\boxed{Assistant ": the likelier digit.
      const [p1, p2] = c.probe;
      const first = p1 >= p2 ? 1 : 2;
      text += `${first}}`;
      const pFirst = p1 + p2 > 0 ? p1 / (p1 + p2) : 0.5;
      probabilityA = swapped ? 1 - pFirst : pFirst;
    }
    const parsed = parseVerdict(text, { trim, truncated: c.finishReason === "length" });
    const shown = parsed.verdict;
    const verdict: Side | null = shown === null ? null : (shown === 1) !== swapped ? "a" : "b";
    return {
      text,
      verdict,
      invalidReason: parsed.verdict === null ? parsed.reason : undefined,
      swapped,
      tokens: c.tokens.length,
      finishReason: c.finishReason,
      probabilityA,
    };
  }
}

/** Tokens of FORCED_VERDICT_TEXT and of the two answers' digits, read from the model itself. */
function forcedVerdictTokens(engine: Engine) {
  const m = engine.model;
  const thinkEnd = m.tokenize("</think>", { special: true });
  const one = m.tokenize(FORCED_VERDICT_TEXT + "1}", { special: true });
  const two = m.tokenize(FORCED_VERDICT_TEXT + "2}", { special: true });
  let k = 0;
  while (k < one.length && one[k] === two[k]) k++;
  return { tokens: one.slice(0, k), probe: [one[k], two[k]] as [number, number], thinkEnd: thinkEnd.length === 1 ? thinkEnd[0] : -1 };
}

export function createJudge(engine: Engine, options: JudgeOptions = {}): Judge {
  return new Judge(engine, options);
}
