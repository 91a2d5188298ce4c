// The judge: pairwise verdicts from several sampled judgments, combined by majority vote. RRM by
// default; any preset of lib/judges (its prompt, prefill and verdict rule) with `judge`.
// Votes shown in one order are one engine request (the prompt is computed once for all of them).
import { MAX_SAMPLES_PER_REQUEST, type Completion, type Engine } from "../engine.js";
import { abortError } from "../errors.js";
import { randomSeed, SeededRandom } from "../random.js";
import * as v from "../validate.js";
import { rankCandidates, type RankOptions, type RankResult } from "../tournament/rank.js";
import type { CompareInput, CompareOptions, CompareProgress, CompareResult, JudgeSample, PairJudge } from "./types.js";
import { adaptiveCompare } from "./adaptive-votes.js";
import { judgePresets, resolveJudge, type JudgeSpec } from "../judges/index.js";
import { PresetPrompter } from "../judges/prompter.js";
import type { JudgePreset } from "../judges/types.js";
import { parseVerdict } from "./verdict.js";
import { castVotes, decidedSide, majority, type Side, type VoteCount } from "./votes.js";

export type { CompareInput, CompareOptions, CompareProgress, CompareResult, JudgeSample, PairJudge, SwapPolicy } from "./types.js";

const COMPARE_KEYS = ["votes", "temperature", "topP", "maxTokens", "thinkingBudget", "swap", "earlyStop", "tieBreak", "trimVerdict", "seed", "signal", "onProgress", "priority"] as const;

export interface JudgeOptions {
  /**
   * Which judge: a preset name ("rrm", the default; "rm-r1-reasoning", "j1", ... see
   * lib/judges), "auto" (from the model's name), a preset object, or { custom: { template, verdict } }.
   */
  judge?: JudgeSpec;
  /** Override the chat template (Jinja source): the preset's own, else the model's. */
  chatTemplate?: string;
  /** Defaults for every compare() call. */
  defaults?: CompareOptions;
}

/** The text a forced verdict appends after the budget: it closes the reasoning and opens the box. */
export const FORCED_VERDICT_TEXT = "\n</think>\n\n\\boxed{Assistant ";

export class Judge implements PairJudge {
  readonly engine: Engine;
  /** The judge preset: prompt, prefill and verdict rule (lib/judges). */
  readonly preset: JudgePreset;
  /** How the preset was chosen ("auto: general.name ... names RM-R1, so the rm-r1-reasoning judge"). */
  readonly choice: string;
  readonly prompter: PresetPrompter;
  readonly defaults: CompareOptions;
  readonly #forced: { tokens: number[]; probe: [number, number]; thinkEnd: number } | null;
  readonly #options: JudgeOptions;
  readonly #others = new Map<string, Judge>();

  constructor(engine: Engine, options: JudgeOptions = {}) {
    this.engine = engine;
    this.#options = options;
    const { preset, reason } = resolveJudge(options.judge, { name: engine.model.info.name, path: engine.model.info.path });
    this.preset = preset;
    this.choice = reason;
    this.prompter = new PresetPrompter(engine.model, preset, options.chatTemplate);
    this.defaults = options.defaults ?? {};
    this.#forced = forcedVerdictTokens(engine, preset);
  }

  /**
   * The same engine and defaults with another preset (a name or "auto"); made once per name, so a
   * server can take a judge per request. This judge itself for its own preset's name.
   */
  withJudge(name: string): Judge {
    if (name === this.preset.name) return this;
    let j = this.#others.get(name);
    if (!j) {
      j = new Judge(this.engine, { ...this.#options, judge: name as JudgeSpec, chatTemplate: undefined });
      this.#others.set(name, j);
    }
    return j;
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
    const forced = this.#forced;
    if (budget !== undefined && !forced) v.fail(`no thinking budget with the ${this.preset.name} judge (its verdict is not one token to force: ${this.preset.rule})`, "options.thinkingBudget", budget);
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

    const count: VoteCount = this.preset.ties ? { a: 0, b: 0, invalid: 0, cancelled: 0, ties: 0 } : { a: 0, b: 0, invalid: 0, cancelled: 0 };
    const samples: JudgeSample[] = [];
    const stop = new AbortController();
    let generated = 0;
    let earlyStopped = false;
    const progress = () => onProgress?.({ votesDone: castVotes(count), votesTotal: votes, generatedTokens: generated });

    const runs = orders.map(async ([swapped, n], k) => {
      const prompt = this.prompter.tokens(swapped ? { query, a: b, b: a } : { query, a, b });
      let runTokens = 0;
      const res = await this.engine.generate({
        prompt, n, maxTokens, temperature, topP, priority,
        seed: (seed + k * 0x9e3779b1) >>> 0,
        signal,
        stopSignal: stop.signal,
        forced: budget === undefined || !forced ? undefined : { afterTokens: budget, unlessToken: forced.thinkEnd, tokens: forced.tokens, probeTokens: forced.probe },
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
          if (s.verdict === "tie") count.ties = (count.ties ?? 0) + 1;
          else if (s.verdict) count[s.verdict]++;
          else count.invalid++;
          progress();
          if (earlyStop && decidedSide(count, votes)) {
            earlyStopped = castVotes(count) < votes;
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
    const forced = this.preset.forced;
    if (c.finishReason === "forced" && c.probe && forced) {
      // The verdict the model gives after the forced text (e.g. "\\boxed{Assistant "): the likelier answer.
      const [p1, p2] = c.probe;
      text += forced.text + (p1 >= p2 ? forced.first : forced.second);
      const pFirst = p1 + p2 > 0 ? p1 / (p1 + p2) : 0.5;
      probabilityA = swapped ? 1 - pFirst : pFirst;
    }
    const truncated = c.finishReason === "length";
    let shown: "first" | "second" | "tie" | null;
    let invalidReason: JudgeSample["invalidReason"];
    if (this.preset === judgePresets.rrm) {
      // RRM keeps its detailed reasons and the trimVerdict option (lib/rrm/verdict.ts).
      const parsed = parseVerdict(text, { trim, truncated });
      shown = parsed.verdict === 1 ? "first" : parsed.verdict === 2 ? "second" : null;
      invalidReason = parsed.verdict === null ? parsed.reason : undefined;
    } else {
      shown = this.preset.parse(text);
      invalidReason = shown === null ? (truncated ? "length-limit" : "no-verdict") : undefined;
    }
    const verdict: Side | "tie" | null = shown === null || shown === "tie" ? shown : (shown === "first") !== swapped ? "a" : "b";
    return {
      text,
      verdict,
      invalidReason,
      swapped,
      tokens: c.tokens.length,
      finishReason: c.finishReason,
      probabilityA,
    };
  }
}

/**
 * The preset's forced-verdict tokens and the two answers' first differing tokens, read from the
 * model itself; null where the preset has no forced verdict.
 */
function forcedVerdictTokens(engine: Engine, preset: JudgePreset) {
  const f = preset.forced;
  if (!f) return null;
  const m = engine.model;
  const thinkEnd = m.tokenize(f.thinkEnd, { special: true });
  const one = m.tokenize(f.text + f.first, { special: true });
  const two = m.tokenize(f.text + f.second, { special: true });
  let k = 0;
  while (k < one.length && one[k] === two[k]) k++;
  if (k >= one.length || k >= two.length) return null; // the two answers tokenize alike: nothing to probe
  // A reasoning end that is not one token cannot be watched for: every sample reaching the budget
  // is forced then (README: thinking budget).
  return { tokens: one.slice(0, k), probe: [one[k], two[k]] as [number, number], thinkEnd: thinkEnd.length === 1 ? thinkEnd[0] : -1 };
}

export function createJudge(engine: Engine, options: JudgeOptions = {}): Judge {
  return new Judge(engine, options);
}
