// Labelled items for `rrm eval`, and judging one.
// - RewardBench: {"id", "prompt", "chosen": "...", "rejected": "...", "subset"}: one comparison,
//   scoring 1 (chosen wins), 0.5 (a tie or no valid verdict: how RewardBench scores generative
//   judges) or 0.
// - Best-of-n (RewardBench 2's best-of-4): "chosen" a list of one, "rejected" a list. The chosen
//   answer is judged against every rejected one. RewardBench 2 scores a reward model's item
//   1 / (answers sharing the top score) when the chosen answer is at the top, else 0
//   (rewardbench.ts cites the code); pairwise, the chosen answer is at the top when it loses no
//   comparison, and shares it with the answers it tied: 0 when it lost any comparison, else
//   1 / (1 + comparisons tied or without a valid verdict). With one rejected answer that is
//   RewardBench's 1 / 0.5 / 0.
// - Several correct answers (RewardBench 2's Ties; "chosen" has more than one): every chosen
//   answer against every rejected one; the item is accurate (1) when every chosen answer wins
//   every comparison, as RewardBench 2's "every correct answer scores above every incorrect one",
//   else 0. Ties' margin terms need each answer's reward, which a pairwise judge does not give:
//   the summary reports Ties' accuracy parts and no Ties score (summary.ts).
import type { CompareOptions, CompareProgress, CompareResult, PairJudge } from "../rrm/types.js";
import { isTiesSubset } from "./rewardbench.js";
import { jsonType, lineObject, stringField } from "../line-fields.js";

export interface EvalItem {
  id?: string | number;
  prompt: string;
  chosen: string[];
  rejected: string[];
  subset: string;
  format: "pair" | "best-of-n" | "several-correct";
  /** RewardBench 2's Ties: a "ref" prompt (one correct answer) or a "tied" one, and the prompt both share. */
  ties?: TiesSample;
}

export interface TiesSample { sample: "ref" | "tied"; prompt: string }

export type OrderName = "chosenFirst" | "chosenSecond";
/** `ties` only for judges whose rule has a tie (lib/judges); a tie scores 0.5 like no winner. */
export interface OrderVotes { chosen: number; rejected: number; invalid: number; ties?: number }

export interface ComparisonRecord {
  /** Which chosen answer (items with several correct answers only). */
  chosen?: number;
  rejected: number;
  winner: "chosen" | "rejected" | null;
  score: number;
  votes: OrderVotes;
  /** Votes by the order shown: chosen as Assistant 1, or as Assistant 2. */
  byOrder: Partial<Record<OrderName, OrderVotes>>;
  /** Generated tokens (reasoning + verdict) of each vote. */
  tokens: number[];
}

export interface EvalItemRecord {
  id?: string | number;
  subset: string;
  format: EvalItem["format"];
  ties?: TiesSample;
  score: number;
  comparisons: ComparisonRecord[];
  judgments: number;
  invalidVotes: number;
}

const isStr = (v: unknown): v is string => typeof v === "string";

/** One input line as an item, or an error that names the line and the field (missing, or of the wrong type). */
export function parseEvalItem(value: unknown, line: number): EvalItem {
  const o = lineObject(value, line, `with "prompt", "chosen", "rejected" and "subset"`);
  if (o.prompt === undefined && typeof o.query === "string" && ("a" in o || "candidates" in o)) {
    throw new Error(`line ${line}: this is a ${"a" in o ? "rrm compare" : "rrm rank"} line ("query", ${"a" in o ? '"a", "b"' : '"candidates"'}), with no label; rrm eval reads RewardBench lines {"prompt", "chosen", "rejected", "subset"}`);
  }
  stringField(o, "prompt", line);
  const list = (name: "chosen" | "rejected"): string[] => {
    const v = o[name];
    if (v === undefined) throw new Error(`line ${line}: "${name}" is missing`);
    if (isStr(v)) return [v];
    if (Array.isArray(v) && v.length > 0 && v.every(isStr)) return v;
    throw new Error(`line ${line}: "${name}" must be a string or a non-empty array of strings, got ${Array.isArray(v) ? (v.length ? "an array holding " + jsonType(v.find((x) => !isStr(x))) : "an empty array") : jsonType(v)}`);
  };
  const chosen = list("chosen");
  const rejected = list("rejected");
  if (o.subset !== undefined && !isStr(o.subset)) throw new Error(`line ${line}: "subset" must be a string, got ${jsonType(o.subset)}`);
  if (o.id !== undefined && !isStr(o.id) && typeof o.id !== "number") throw new Error(`line ${line}: "id" must be a string or a number, got ${jsonType(o.id)}`);
  const subset = (o.subset as string | undefined) ?? "(none)";
  const format = chosen.length > 1 ? "several-correct" : Array.isArray(o.chosen) || Array.isArray(o.rejected) ? "best-of-n" : "pair";
  const item: EvalItem = { id: o.id as string | number | undefined, prompt: o.prompt as string, chosen, rejected, subset, format };
  if (isTiesSubset(subset)) item.ties = tiesSample(o.id, o.prompt as string, chosen.length);
  return item;
}

/**
 * RewardBench 2 names a Ties item "ref:N" (its one-answer reference prompt) or "tied:N" (the same
 * question with several correct answers), N shared (utils.py process_single_model splits the id
 * on ":"). Without such an id: "tied" when it has several correct answers, paired by prompt text.
 */
function tiesSample(id: unknown, prompt: string, correct: number): TiesSample {
  const m = typeof id === "string" ? /^(ref|tied):(.+)$/.exec(id) : null;
  return m ? { sample: m[1] as TiesSample["sample"], prompt: m[2] } : { sample: correct > 1 ? "tied" : "ref", prompt };
}

export const comparisonScore = (winner: ComparisonRecord["winner"]) => (winner === "chosen" ? 1 : winner === "rejected" ? 0 : 0.5);

function toRecord(res: CompareResult, rejected: number, chosen?: number): ComparisonRecord {
  const byOrder: Partial<Record<OrderName, OrderVotes>> = {};
  for (const s of res.samples) {
    if (s.invalidReason === "cancelled") continue;
    // "a" is the chosen answer; swapped means "b" (rejected) was shown as Assistant 1.
    const o = (byOrder[s.swapped ? "chosenSecond" : "chosenFirst"] ??= { chosen: 0, rejected: 0, invalid: 0 });
    if (s.verdict === "a") o.chosen++;
    else if (s.verdict === "b") o.rejected++;
    else if (s.verdict === "tie") o.ties = (o.ties ?? 0) + 1;
    else o.invalid++;
  }
  const winner = res.winner === "a" ? "chosen" : res.winner === "b" ? "rejected" : null;
  return {
    ...(chosen !== undefined ? { chosen } : {}),
    rejected,
    winner,
    score: comparisonScore(winner),
    votes: { chosen: res.votes.a, rejected: res.votes.b, invalid: res.votes.invalid, ...(res.votes.ties !== undefined ? { ties: res.votes.ties } : {}) },
    byOrder,
    tokens: res.samples.filter((s) => s.invalidReason !== "cancelled").map((s) => s.tokens),
  };
}

/** The item's score from its comparisons (the rules at the top of this file). */
export function itemScore(format: EvalItem["format"], comparisons: ComparisonRecord[]): number {
  if (format === "pair") return comparisonScore(comparisons[0].winner);
  if (format === "several-correct") return comparisons.every((c) => c.winner === "chosen") ? 1 : 0;
  if (comparisons.some((c) => c.winner === "rejected")) return 0;
  return 1 / (1 + comparisons.filter((c) => c.winner === null).length);
}

/** Judges one item: every comparison at once (the engine batches them), the item's score. */
export async function evaluateItem(judge: PairJudge, item: EvalItem, options: CompareOptions): Promise<EvalItemRecord> {
  const pairs = item.format === "several-correct"
    ? item.chosen.flatMap((_, c) => item.rejected.map((_, r) => [c, r] as const))
    : item.rejected.map((_, r) => [0, r] as const);
  // The comparisons run at once; their progress is summed so the caller sees one running total
  // (a comparison's total that drops is its next adaptive wave starting: the last one is kept).
  const live = pairs.map(() => ({ votesDone: 0, generatedTokens: 0, banked: { votesDone: 0, generatedTokens: 0 }, last: { votesDone: 0, generatedTokens: 0 } }));
  const onProgress = options.onProgress && ((k: number, p: CompareProgress) => {
    const x = live[k];
    if (p.generatedTokens < x.last.generatedTokens || p.votesDone < x.last.votesDone) x.banked = { votesDone: x.votesDone, generatedTokens: x.generatedTokens };
    x.last = p;
    x.votesDone = x.banked.votesDone + p.votesDone;
    x.generatedTokens = x.banked.generatedTokens + p.generatedTokens;
    options.onProgress!({ votesDone: live.reduce((t, x) => t + x.votesDone, 0), votesTotal: p.votesTotal, generatedTokens: live.reduce((t, x) => t + x.generatedTokens, 0) });
  });
  const results = await Promise.all(pairs.map(([c, r], k) =>
    judge.compare({ query: item.prompt, a: item.chosen[c], b: item.rejected[r] }, { ...options, seed: options.seed === undefined ? undefined : (options.seed + k * 0x632be5ab) >>> 0, tieBreak: "none", onProgress: onProgress && ((p) => onProgress(k, p)) })));
  const comparisons = results.map((res, k) => toRecord(res, pairs[k][1], item.format === "several-correct" ? pairs[k][0] : undefined));
  return {
    ...(item.id !== undefined ? { id: item.id } : {}),
    subset: item.subset,
    format: item.format,
    ...(item.ties ? { ties: item.ties } : {}),
    score: itemScore(item.format, comparisons),
    comparisons,
    judgments: comparisons.reduce((s, c) => s + c.votes.chosen + c.votes.rejected + (c.votes.ties ?? 0) + c.votes.invalid, 0),
    invalidVotes: comparisons.reduce((s, c) => s + c.votes.invalid, 0),
  };
}
